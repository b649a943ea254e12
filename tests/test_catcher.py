"""The local mail catcher stores what it receives, and the Mailbox page shows it safely."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from catcher.models import CaughtMessage
from catcher.server import CatcherHandler
from tests.net import free_port

HTML = '<p>Group <b>Sales</b> changed.</p><script>document.title="pwned"</script>'


@pytest.fixture
def catcher(transactional_db):
    handler = CatcherHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), **handler.controller_options()
    )
    controller.start()
    yield controller
    controller.stop()


def send(
    catcher: Controller, subject: str = "Membership of Sales changed", login: str = ""
) -> None:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "Directory Manager <dirmgr@contoso.test>"
    msg["To"] = "it-team@contoso.test"
    msg["Cc"] = "auditors@contoso.test"
    msg["Date"] = "Thu, 26 Nov 2026 11:00:00 +0100"
    msg.set_content("Group Sales changed.\nAdded: Bob.")
    msg.add_alternative(HTML, subtype="html")
    with smtplib.SMTP(catcher.hostname, catcher.port, timeout=10) as smtp:
        if login:
            smtp.login(login, "any password")
        smtp.send_message(
            msg, from_addr="bounce@contoso.test", to_addrs=["it-team@contoso.test", "x@y.test"]
        )


def test_it_stores_a_message_with_its_envelope_and_headers(catcher):
    send(catcher)
    [caught] = CaughtMessage.objects.all()
    assert caught.envelope_from == "bounce@contoso.test"
    assert caught.recipients == ["it-team@contoso.test", "x@y.test"]
    assert caught.subject == "Membership of Sales changed"
    assert caught.from_header == "Directory Manager <dirmgr@contoso.test>"
    assert caught.to_header == "it-team@contoso.test, auditors@contoso.test"
    assert caught.date == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert caught.peer == "127.0.0.1"
    assert b"Added: Bob." in bytes(caught.raw)


def test_it_accepts_any_login_and_keeps_only_the_name(catcher, alice_client):
    send(catcher, login="svc-notify@contoso.test")
    caught = CaughtMessage.objects.get()
    assert caught.auth_login == "svc-notify@contoso.test"
    assert b"any password" not in bytes(caught.raw)
    page = alice_client.get(f"/mailbox/{caught.pk}/").content.decode()
    assert "<dt>Signed in as</dt><dd>svc-notify@contoso.test</dd>" in page
    assert "any password" not in page


def test_it_lists_messages_newest_first(catcher, client):
    send(catcher, "first")
    send(catcher, "second")
    client.force_login(get_user_model().objects.create_superuser("root", "r@x.test", "pw"))
    page = client.get("/mailbox/").content.decode()
    assert page.index("second") < page.index("first")


def test_it_shows_headers_text_part_and_sandboxed_html_part(catcher, client):
    send(catcher)
    client.force_login(get_user_model().objects.create_superuser("root", "r@x.test", "pw"))
    caught = CaughtMessage.objects.get()
    response = client.get(f"/mailbox/{caught.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="row">Cc</th><td>auditors@contoso.test</td>' in page
    assert "Group Sales changed.\nAdded: Bob." in page
    assert 'sandbox="" referrerpolicy="no-referrer" srcdoc="&lt;p&gt;Group &lt;b&gt;Sales' in page
    assert "<script>document.title" not in page
    assert "allow-scripts" not in page


def test_it_shows_the_mailbox_to_store_admins(catcher, alice_client):
    send(catcher)
    assert "Membership of Sales changed" in alice_client.get("/mailbox/").content.decode()


def test_it_hides_the_mailbox_from_users_without_a_store(catcher, client):
    send(catcher)
    client.force_login(get_user_model().objects.create_user("carol", "c@x.test", "pw"))
    caught = CaughtMessage.objects.get()
    assert client.get("/mailbox/").status_code == 404
    assert client.get(f"/mailbox/{caught.pk}/").status_code == 404


def test_it_asks_anonymous_visitors_to_sign_in(db, client):
    response = client.get("/mailbox/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_it_is_gone_when_switched_off(alice_client, settings):
    settings.MAILBOX_ENABLED = False
    assert alice_client.get("/mailbox/").status_code == 404


def test_it_empties_the_mailbox(catcher, alice_client):
    send(catcher)
    response = alice_client.post("/mailbox/empty/", follow=True)
    assert "Mailbox emptied (1 message deleted)." in response.content.decode()
    assert not CaughtMessage.objects.exists()
