"""A full scenario — sign in, configure, test, send, fail on authentication and on the token
endpoint — and then a scan of every response body, log record, audit entry and outbox row for
the plaintext of every secret and every OAuth token. None may appear anywhere."""

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from identitystores.models import AuditEntry, IdentityStore, StoreRole
from notifications import outbox
from notifications.delivery import deliver
from notifications.models import NotificationSettings, OutgoingMessage

SIGN_IN_PASSWORD = "Alice-sign-in-Pa55!"
SMTP_PASSWORD = "Smtp-basic-Pa55!"
CLIENT_SECRET = "client-Secret~never-shown"
OAUTH_PASSWORD = "Mailbox-pa55word!"
MAILBOX = "mailer@contoso.test"
URL = "/identity-stores/{}/configurations/notifications/"


class RecordingClient(Client):
    """A test client that keeps every response body it receives."""

    bodies: list[bytes]

    def request(self, **request):
        response = super().request(**request)
        self.bodies.append(response.content)
        return response


def in_thread(fn, *args):
    """Delivery runs its own event loop; keep it off the test thread's (browser tests)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture
def scenario(transactional_db, smtp_server, identity_server, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.MAIL_MAX_ATTEMPTS = 1
    store = IdentityStore.objects.create(name="Contoso", type=IdentityStore.Type.ACTIVE_DIRECTORY)
    alice = get_user_model().objects.create_user("alice", "alice@contoso.test", SIGN_IN_PASSWORD)
    StoreRole.objects.create(user=alice, store=store)
    client = RecordingClient()
    client.bodies = []
    client.post("/login/", {"username": "alice", "password": SIGN_IN_PASSWORD})
    idp = identity_server(users={MAILBOX: OAUTH_PASSWORD}, client_secret=CLIENT_SECRET)
    return store, client, idp


def basic_form(server, **extra):
    return {
        "smtp_host": server.host,
        "from_email": "notify@contoso.test",
        "port": str(server.port),
        "auth_type": "basic",
        **extra,
    }


def press_test(client, store, data):
    url = URL.format(store.pk) + "test-server/"
    return client.post(
        url, {**data, "test_recipient": "ops@contoso.test"}, HTTP_ACCEPT="application/json"
    ).json()


def send_one(store, subject):
    s = NotificationSettings.objects.get(store=store)
    (row,) = outbox.enqueue(
        [outbox.new_message(store, s, subject=subject, body_text="body", to=["ops@contoso.test"])]
    )
    in_thread(deliver, [row.pk])
    return OutgoingMessage.objects.get(pk=row.pk)


def test_it_never_reveals_a_secret_or_token(scenario, smtp_server, caplog):
    store, client, idp = scenario
    # 1. No SMTP user authentication: the admin's own sign-in credentials are used (over TLS).
    own = smtp_server("starttls", users={"alice": SIGN_IN_PASSWORD}, auth_required=True)
    assert press_test(client, store, basic_form(own, ssl_enabled="on"))["ok"]

    # 2. Basic: configure, look at the page, test, send; then a server that refuses us.
    basic = smtp_server("plain", users={"svc": SMTP_PASSWORD}, auth_required=True)
    form = basic_form(basic, use_smtp_auth="on", smtp_username="svc")
    client.post(URL.format(store.pk), {**form, "smtp_password": SMTP_PASSWORD})
    client.get(URL.format(store.pk))
    assert press_test(client, store, form)["ok"]
    assert send_one(store, "sent with basic").status == OutgoingMessage.Status.SENT
    refusing = smtp_server("plain", users={"svc": "another-password"}, auth_required=True)
    form = basic_form(refusing, use_smtp_auth="on", smtp_username="svc")
    client.post(URL.format(store.pk), {**form, "smtp_password": SMTP_PASSWORD})
    assert not press_test(client, store, form)["ok"]
    held = send_one(store, "refused with basic")  # refused credentials hold the mail
    assert held.status == OutgoingMessage.Status.QUEUED and held.last_error.startswith("Held")

    # 3. OAuth 2.0: configure, test, send; then the token endpoint says no.
    xoauth = smtp_server("plain", token_checker=idp.is_valid)
    form = basic_form(
        xoauth,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint=idp.token_endpoint,
        client_id=idp.client_id,
        scope="https://outlook.office365.com/SMTP.Send",
        oauth_username=MAILBOX,
    )
    client.post(
        URL.format(store.pk),
        {**form, "client_secret": CLIENT_SECRET, "oauth_password": OAUTH_PASSWORD},
    )
    client.get(URL.format(store.pk))
    assert press_test(client, store, form)["ok"]
    assert send_one(store, "sent with oauth").status == OutgoingMessage.Status.SENT
    idp.revoke_all()
    idp.fail_with = (
        401,
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
        },
    )
    assert not press_test(client, store, form)["ok"]
    held = send_one(store, "token refused")
    assert held.status == OutgoingMessage.Status.QUEUED and held.last_error.startswith("Held")
    client.get(f"/identity-stores/{store.pk}/history/")
    client.get(f"/identity-stores/{store.pk}/outbox/?filter=all")

    secrets = [SIGN_IN_PASSWORD, SMTP_PASSWORD, CLIENT_SECRET, OAUTH_PASSWORD]
    tokens = list(idp.tokens) + list(idp.refresh_tokens)
    assert tokens, "the scenario issued no token: it did not exercise OAuth"
    haystacks = {
        "responses": b"\n".join(client.bodies).decode("utf-8", "replace"),
        "logs": "\n".join(
            f"{r.getMessage()} {r.exc_text or ''} {r.__dict__}" for r in caplog.records
        ),
        "audit": "\n".join(
            f"{e.field} {e.old_value} {e.new_value} {e.action}" for e in AuditEntry.objects.all()
        ),
        "outbox": "\n".join(
            f"{m.last_error} {m.server_reply} {m.body_text}" for m in OutgoingMessage.objects.all()
        ),
    }
    assert len(client.bodies) >= 12 and caplog.records
    leaks = [
        (where, secret[:6])
        for where, text in haystacks.items()
        for secret in secrets + tokens
        if secret in text
    ]
    assert leaks == []
    assert "AADSTS7000215" in haystacks["responses"]  # the error itself is shown
