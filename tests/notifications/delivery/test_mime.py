"""Outbox rows become proper messages on the wire: alternatives, UTF-8 safe headers, Message-ID,
CRLF line endings, short lines, Bcc only in the envelope — and the stdlib parser reads back what
was written."""

import email
import email.policy

import pytest

from notifications.delivery import render_message
from notifications.models import OutgoingMessage
from notifications.transports import TransportError, get_transport
from tests.support.servers.aio import run

SUBJECT = "Gruppe „Vertrieb“ geändert ✓"
TEXT = "Änderung: Mitglied hinzugefügt.\n.\nFrom here on: ünïcödé ✓"
HTML = "<p>Änderung: <b>Mitglied</b> hinzugefügt.</p>"


@pytest.fixture
def row(contoso):
    return OutgoingMessage.objects.create(
        store=contoso,
        from_email="Contoso Notifications <notifications@contoso.test>",
        to="Jürgen Müller <helpdesk@contoso.test>; ops@contoso.test",
        cc="manager@contoso.test",
        bcc="audit@contoso.test",
        subject=SUBJECT,
        body_text=TEXT,
        body_html=HTML,
    )


def parsed(rendered) -> email.message.EmailMessage:
    return email.message_from_bytes(rendered.data, policy=email.policy.default)


def content(part) -> str:
    return part.get_content().replace("\r\n", "\n")


def test_it_builds_text_and_html_alternatives_the_parser_reads_back(row):
    message = parsed(render_message(row))
    assert message.get_content_type() == "multipart/alternative"
    assert content(message.get_body(("plain",))) == TEXT + "\n"
    assert content(message.get_body(("html",))) == HTML + "\n"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime is not None
    assert [part.defects for part in message.walk()] == [[], [], []]


def test_it_sends_only_text_when_there_is_no_html(row):
    row.body_html = ""
    message = parsed(render_message(row))
    assert message.get_content_type() == "text/plain"
    assert content(message) == TEXT + "\n"


def test_it_encodes_non_ascii_subjects_and_names(row):
    rendered = render_message(row)
    head = rendered.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    message = parsed(rendered)
    assert message["Subject"] == SUBJECT
    assert message["To"].addresses[0].display_name == "Jürgen Müller"
    assert message["To"] == "Jürgen Müller <helpdesk@contoso.test>, ops@contoso.test"
    assert message["From"].addresses[0].display_name == "Contoso Notifications"


def test_it_quotes_display_names_with_specials(row):
    row.to = '"Müller, Jürgen" <helpdesk@contoso.test>; "Ops, Team" <ops@contoso.test>'
    message = parsed(render_message(row))
    names = [address.display_name for address in message["To"].addresses]
    assert names == ["Müller, Jürgen", "Ops, Team"]


def test_it_keeps_every_line_short_and_ends_lines_with_crlf(row):
    row.subject = "Ä" * 60 + " very long subject " * 10
    row.to = "; ".join(f"Person Number {i} <person{i}@contoso.test>" for i in range(30))
    row.body_text = "x" * 5000 + "\n" + "ü" * 3000
    row.body_html = "<p>" + "y" * 5000 + "</p>"
    rendered = render_message(row)
    lines = rendered.data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    assert b"\n" not in rendered.data.replace(b"\r\n", b"")
    assert b"\r" not in rendered.data.replace(b"\r\n", b"")
    message = parsed(rendered)
    assert message["Subject"] == row.subject
    assert len(message["To"].addresses) == 30
    assert content(message.get_body(("plain",))) == "x" * 5000 + "\n" + "ü" * 3000 + "\n"
    assert content(message.get_body(("html",))) == row.body_html + "\n"


def test_it_normalises_the_bodys_line_endings(row):
    row.body_text = "one\rtwo\r\nthree\nfour  "
    row.body_html = ""
    rendered = render_message(row)
    assert rendered.data.endswith(b"one\r\ntwo\r\nthree\r\nfour  \r\n")
    assert content(parsed(rendered)) == "one\ntwo\nthree\nfour  \n"


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("Plain ASCII text.\nTwo lines.", "7bit"),
        ("x" * 998, "7bit"),
        ("x" * 999, "quoted-printable"),
        ("Größe geändert", "quoted-printable"),
    ],
    ids=["ascii", "longest-smtp-line", "too-long-for-smtp", "non-ascii"],
)
def test_it_sends_ascii_as_is_and_the_rest_quoted_printable(row, body, encoding):
    row.body_text = row.body_html = body
    message = parsed(render_message(row))
    for part in (message.get_body(("plain",)), message.get_body(("html",))):
        assert part["Content-Transfer-Encoding"] == encoding
        assert content(part) == body + "\n"


def test_it_gives_the_row_a_stable_message_id(row):
    first = render_message(row).message_id
    assert first.endswith("@contoso.test>")
    row.refresh_from_db()
    assert row.message_id == first
    assert parsed(render_message(row))["Message-ID"] == first


def test_it_sets_the_envelope_and_keeps_bcc_off_the_wire(row):
    row.cc = "manager@contoso.test; ops@contoso.test"
    rendered = render_message(row)
    assert rendered.sender == "notifications@contoso.test"
    assert rendered.recipients == (
        "helpdesk@contoso.test",
        "ops@contoso.test",
        "manager@contoso.test",
        "audit@contoso.test",
    )
    assert b"audit@contoso.test" not in rendered.data
    assert parsed(rendered)["Bcc"] is None
    assert rendered.bcc_header == b"Bcc: audit@contoso.test\r\n"


@pytest.mark.parametrize("field", ["subject", "to", "cc", "bcc", "from_email"])
@pytest.mark.parametrize("injected", ["\r\nBcc: victim@elsewhere.test", "\nX-Evil: 1", "\r"])
def test_it_refuses_line_breaks_in_headers(row, field, injected):
    setattr(row, field, getattr(row, field) + injected)
    with pytest.raises(TransportError) as caught:
        render_message(row)
    name = {"subject": "Subject", "to": "To", "cc": "Cc", "bcc": "Bcc", "from_email": "From"}
    assert caught.value.permanent
    assert caught.value.message == (
        f"The {name[field]} header contains a line break; the message was not sent."
    )


@pytest.mark.parametrize(
    "address",
    ["not an address", "jürgen@contoso.test", "@contoso.test", '"a b"@contoso.test', "a\tb@c.test"],
)
def test_it_refuses_what_is_not_an_address(row, address):
    row.cc = address
    with pytest.raises(TransportError) as caught:
        render_message(row)
    assert caught.value.permanent and "is not a valid email address" in caught.value.message


def test_it_writes_an_international_domain_in_idna(row):
    row.to = "ops@bücher.example"
    rendered = render_message(row)
    assert rendered.recipients[0] == "ops@xn--bcher-kva.example"
    assert parsed(rendered)["To"] == "ops@xn--bcher-kva.example"


def test_it_refuses_a_message_without_recipients(row):
    row.to = row.cc = row.bcc = ""
    with pytest.raises(TransportError) as caught:
        render_message(row)
    assert caught.value.permanent


def test_it_puts_bcc_in_the_envelope_only_over_smtp(row, smtp_server):
    server = smtp_server()
    rendered = render_message(row)

    async def send():
        transport = get_transport(server.transport_config())
        await transport.send_rendered(rendered)
        await transport.close()

    run(send())
    (received,) = server.wait_for(1)
    assert received.mail_from == "notifications@contoso.test"
    assert sorted(received.rcpt_tos) == [
        "audit@contoso.test",
        "helpdesk@contoso.test",
        "manager@contoso.test",
        "ops@contoso.test",
    ]
    assert b"audit@contoso.test" not in received.data
    message = received.message
    assert message["Subject"] == SUBJECT
    assert message["To"] == "Jürgen Müller <helpdesk@contoso.test>, ops@contoso.test"
    assert message["Cc"] == "manager@contoso.test"
    assert message["Message-ID"] == row.message_id
    assert content(message.get_body(("plain",))) == TEXT + "\n"


def test_it_gives_graph_the_bcc_header_back(row, identity_server, settings):
    from tests.support.transports import graph_config

    idp = identity_server()
    settings.GRAPH_LOGIN_AUTHORITY_HOST = idp.netloc
    rendered = render_message(row)

    async def send():
        transport = get_transport(graph_config(idp))
        await transport.send_rendered(rendered)
        await transport.close()

    run(send())
    (sent,) = idp.wait_for_graph(1)
    message = email.message_from_bytes(sent.mime, policy=email.policy.default)
    assert message["Bcc"] == "audit@contoso.test"
    assert message["Subject"] == SUBJECT
    assert content(message.get_body(("html",))) == HTML + "\n"
