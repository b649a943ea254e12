"""Outbox rows become proper messages: alternatives, UTF-8 headers, Message-ID, Bcc off the wire."""

import pytest

from notifications.mime import build_message
from notifications.models import OutgoingMessage
from notifications.transports import TransportError, get_transport
from tests.servers.aio import run


@pytest.fixture
def row(contoso):
    return OutgoingMessage.objects.create(
        store=contoso,
        from_email="Contoso Notifications <notifications@contoso.test>",
        to="helpdesk@contoso.test; ops@contoso.test",
        cc="manager@contoso.test",
        bcc="audit@contoso.test",
        subject="Gruppe „Vertrieb“ geändert ✓",
        body_text="Änderung: Mitglied hinzugefügt.",
        body_html="<p>Änderung: <b>Mitglied</b> hinzugefügt.</p>",
    )


def test_it_builds_text_and_html_alternatives(row):
    message = build_message(row)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "Änderung: Mitglied hinzugefügt."
    assert "<b>Mitglied</b>" in message.get_body(("html",)).get_content()
    assert message["Auto-Submitted"] == "auto-generated"


def test_it_sends_only_text_when_there_is_no_html(row):
    row.body_html = ""
    assert build_message(row).get_content_type() == "text/plain"


def test_it_gives_the_row_a_stable_message_id(row):
    first = build_message(row)["Message-ID"]
    assert first.endswith("@contoso.test>")
    row.refresh_from_db()
    assert row.message_id == first
    assert build_message(row)["Message-ID"] == first


def test_it_refuses_line_breaks_in_headers(row):
    row.subject = "Hello\r\nBcc: victim@elsewhere.test"
    with pytest.raises(TransportError) as caught:
        build_message(row)
    assert caught.value.permanent
    assert (
        caught.value.message
        == "The Subject header contains a line break; the message was not sent."
    )


def test_it_puts_bcc_in_the_envelope_only(row, smtp_server):
    server = smtp_server()
    message = build_message(row)

    async def send():
        transport = get_transport(server.transport_config())
        await transport.send(message)
        await transport.close()

    run(send())
    (received,) = server.wait_for(1)
    assert sorted(received.rcpt_tos) == [
        "audit@contoso.test",
        "helpdesk@contoso.test",
        "manager@contoso.test",
        "ops@contoso.test",
    ]
    assert b"audit@contoso.test" not in received.data
    assert received.message["Subject"] == "Gruppe „Vertrieb“ geändert ✓"
    assert received.message["To"] == "helpdesk@contoso.test, ops@contoso.test"
    assert received.message["Cc"] == "manager@contoso.test"
    assert received.message["Message-ID"] == row.message_id
