"""The local mail catcher stores what it receives, and the Mailbox page shows it safely."""

from __future__ import annotations

import re
import smtplib
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from catcher.models import CaughtMessage
from catcher.server import CatcherHandler
from core import mail_origin
from identitystores.models import IdentityStore
from notifications.delivery import render_message
from notifications.models import OutgoingMessage
from tests.support.confirm import read_confirmation
from tests.support.net import free_port

HTML = '<p>Group <b>Sales</b> changed.</p><script>document.title="pwned"</script>'


@pytest.fixture
def catcher(transactional_db, settings):
    settings.MAILBOX_ENABLED = True  # as scripts/run sets DIRMGR_MAILBOX
    handler = CatcherHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), **handler.controller_options()
    )
    controller.start()
    yield controller
    controller.stop()


def send(
    catcher: Controller,
    subject: str = "Membership of Sales changed",
    login: str = "",
    store: IdentityStore | None = None,
    message_id: str = "",
) -> None:
    """Send a message to the catcher; with `store`, under a Message-ID sealed for that store."""
    msg = EmailMessage()
    msg["Subject"] = subject
    if store or message_id:
        msg["Message-ID"] = message_id or mail_origin.new_message_id(store.pk, "contoso.test")
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


def test_it_accepts_any_login_and_keeps_only_the_name(catcher, alice_client, contoso):
    send(catcher, login="svc-notify@contoso.test", store=contoso)
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


def test_it_shows_the_mailbox_to_store_admins(catcher, alice_client, contoso):
    send(catcher, store=contoso)
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


def test_it_is_off_unless_switched_on(alice_client):
    assert alice_client.get("/mailbox/").status_code == 404


def test_it_shows_each_admin_only_the_mail_of_their_stores(catcher, client, alice, bob, root):
    contoso, fabrikam = alice.store_roles.get().store, bob.store_roles.get().store
    send(catcher, "Contoso news", store=contoso)
    send(catcher, "Fabrikam secrets", store=fabrikam)
    send(catcher, "From nowhere")
    forged = mail_origin.new_message_id(contoso.pk, "x.test").replace(
        f".s{contoso.pk}.", f".s{fabrikam.pk}."
    )
    send(catcher, "Forged for Fabrikam", message_id=forged)
    assert {m.subject: m.store for m in CaughtMessage.objects.all()} == {
        "Contoso news": contoso,
        "Fabrikam secrets": fabrikam,
        "From nowhere": None,
        "Forged for Fabrikam": None,
    }
    client.force_login(alice)
    page = client.get("/mailbox/").content.decode()
    assert "Contoso news" in page
    assert not {"Fabrikam secrets", "From nowhere", "Forged for Fabrikam"} & set(
        re.findall(r'">([^<]+)</a></td>', page)
    )
    for other in CaughtMessage.objects.exclude(store=contoso):
        assert client.get(f"/mailbox/{other.pk}/").status_code == 404
    client.force_login(root)
    page = client.get("/mailbox/").content.decode()
    assert all(subject in page for subject in ("Contoso news", "Fabrikam secrets", "From nowhere"))


def test_it_empties_only_the_mail_of_the_admins_stores(catcher, alice_client, contoso, fabrikam):
    send(catcher, "Contoso news", store=contoso)
    send(catcher, "Fabrikam secrets", store=fabrikam)
    send(catcher, "From nowhere")
    asked = read_confirmation(alice_client.post("/mailbox/empty/"))
    assert asked.question == "Delete 1 message from the mailbox?"
    assert CaughtMessage.objects.count() == 3
    assert 'data-confirm="Delete 1 message from the mailbox?"' in (
        alice_client.get("/mailbox/").content.decode()
    )
    response = alice_client.post(asked.action, asked.data, follow=True)
    assert "Mailbox emptied (1 message deleted)." in response.content.decode()
    remaining = CaughtMessage.objects.values_list("subject", flat=True)
    assert sorted(remaining) == ["Fabrikam secrets", "From nowhere"]


def test_it_files_an_outbox_notification_under_its_store(catcher, alice_client, contoso):
    row = OutgoingMessage.objects.create(
        store=contoso,
        from_email="directory@contoso.test",
        to="it-team@contoso.test",
        subject="Password expires soon",
        body_text="Change it now.",
    )
    rendered = render_message(row)
    with smtplib.SMTP(catcher.hostname, catcher.port, timeout=10) as smtp:
        smtp.sendmail(rendered.sender, list(rendered.recipients), rendered.data)
    assert CaughtMessage.objects.get().store == contoso
    assert "Password expires soon" in alice_client.get("/mailbox/").content.decode()


def test_it_files_a_test_server_message_under_its_store(catcher, client, alice, bob, contoso_mail):
    contoso_mail.port = catcher.port
    contoso_mail.save()
    client.force_login(alice)
    response = client.post(
        f"/identity-stores/{contoso_mail.store.pk}/configurations/notifications/test-server/",
        {
            "smtp_host": "127.0.0.1",
            "port": catcher.port,
            "from_email": "directory@contoso.test",
            "use_smtp_auth": "on",
            "auth_type": "basic",
            "smtp_username": "svc",
            "smtp_password": "svc-password",
            "test_recipient": "ops@contoso.test",
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["ok"] is True, response.json()
    assert CaughtMessage.objects.get().store == contoso_mail.store
    assert "Test notification from Contoso AD" in client.get("/mailbox/").content.decode()
    client.force_login(bob)
    assert "Test notification" not in client.get("/mailbox/").content.decode()


def test_it_warns_when_the_old_variable_is_still_set(tmp_path):
    env = {"MAILBOX_ENABLED": "true", "DIRMGR_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "catcher.W001" in result.stderr + result.stdout
    assert "the Mailbox is off unless DIRMGR_MAILBOX=true" in result.stderr + result.stdout
