"""SMTP XOAUTH2 with tokens from the loopback HTTPS token endpoint, through real msal."""

import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from notifications.transports.oauth import TokenProvider, smtp_token_spec
from tests.support.servers.tls import untrusted_leaf
from tests.support.transports import MAILBOX, PASSWORD, deliver, failure, notification, oauth_config

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def idp(identity_server):
    return identity_server(users={MAILBOX: PASSWORD})


@pytest.fixture
def server(smtp_server, idp):
    return smtp_server("starttls", token_checker=idp.is_valid)


def test_it_sends_with_an_app_only_token_as_the_from_mailbox(server, idp):
    deliver(oauth_config(server, idp))
    assert server.wait_for(1)[0].auth_user == "notifications@contoso.test"
    assert idp.token_calls == [
        {
            "grant_type": "client_credentials",
            "scope": "https://outlook.office365.com/.default",
            "username": "",
        }
    ]


def test_it_sends_with_a_password_grant_token_as_the_user(server, idp):
    deliver(oauth_config(server, idp, delegated=True))
    assert server.wait_for(1)[0].auth_user == MAILBOX
    assert [call["grant_type"] for call in idp.token_calls] == ["password"]
    assert "https://outlook.office.com/SMTP.Send" in idp.token_calls[0]["scope"].split()
    assert idp.realm_calls == [MAILBOX]


@pytest.mark.parametrize("delegated", [False, True], ids=["app-only", "password"])
def test_it_fetches_one_token_for_many_messages_and_connections(server, idp, delegated):
    config = oauth_config(server, idp, delegated=delegated)
    for _ in range(3):  # three connections, four messages each
        deliver(config, *[notification(subject=f"n{i}") for i in range(4)])
    assert len(server.wait_for(12)) == 12
    assert len(idp.token_calls) == 1
    assert len(server.auth_attempts) == 3


def test_it_shares_the_token_with_another_worker_process(server, idp, settings):
    config = oauth_config(server, idp, delegated=True)
    deliver(config)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
        "CACHE_URL": f"filecache://{settings.CACHES['default']['LOCATION']}",
        "DIRMGR_CA_BUNDLE": settings.DIRMGR_CA_BUNDLE,
    }
    worker = subprocess.run(
        [sys.executable, "-c", SECOND_WORKER],
        input=json.dumps(asdict(config)),
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    assert worker.stdout.split() == ["cached=True", "sent"]
    assert len(server.wait_for(2)) == 2
    assert len(idp.token_calls) == 1


SECOND_WORKER = """
import asyncio, json, sys
from email.message import EmailMessage
import django
django.setup()
from notifications.transports import TransportConfig, get_transport
from notifications.transports.oauth import TokenProvider, smtp_token_spec

config = TransportConfig(**json.load(sys.stdin))
print(f"cached={TokenProvider(smtp_token_spec(config)).get().cached}")
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = config.from_email, "a@contoso.test", "from worker 2"
msg.set_content("hello")

async def send():
    transport = get_transport(config)
    await transport.send(msg)
    await transport.close()

asyncio.run(send())
print("sent")
"""


@pytest.mark.parametrize("delegated", [False, True], ids=["app-only", "password"])
def test_it_replaces_a_refused_cached_token_once(server, idp, delegated):
    config = oauth_config(server, idp, delegated=delegated)
    deliver(config)
    idp.revoke_all()
    deliver(config)
    assert len(server.wait_for(2)) == 2
    assert len(idp.token_calls) == 2


def test_it_gives_up_when_the_fresh_token_is_refused_too(server, idp):
    config = oauth_config(server, idp)
    deliver(config)
    server.token_checker = lambda user, token: False
    error = failure(config)
    assert error.permanent
    assert error.message == (
        "Authentication failed, the server answered: 535 5.7.3 Authentication unsuccessful"
    )
    assert "SMTP.Send" in error.hint
    assert len(idp.token_calls) == 2  # the cached one, then exactly one fresh one


def test_it_does_not_retry_a_refused_fresh_token(smtp_server, idp):
    server = smtp_server("starttls", token_checker=lambda user, token: False)
    failure(oauth_config(server, idp))
    assert len(idp.token_calls) == 1
    assert len(server.auth_attempts) == 1


def test_it_reports_a_wrong_client_secret(server, idp):
    error = failure(oauth_config(server, idp, client_secret="wrong-secret-value"))
    assert error.permanent
    assert error.message == (
        "The token endpoint refused the request: invalid_client: AADSTS7000215: Invalid client "
        "secret provided. Ensure the secret being sent in the request is the client secret "
        "value, not the client secret ID."
    )
    assert "Client Secret" in error.hint
    assert server.count == 0


def test_it_reports_a_wrong_password(server, idp):
    error = failure(oauth_config(server, idp, delegated=True, password="not-it"))
    assert error.permanent
    assert error.message.startswith("The token endpoint refused the request: invalid_grant: ")
    assert "AADSTS50126" in error.reply
    assert error.hint == "The Username or Password is wrong."


def test_it_retries_later_when_the_token_endpoint_fails(server, idp):
    idp.fail_with = (500, {"error": "server_error"})
    error = failure(oauth_config(server, idp))
    assert not error.permanent
    assert error.message == (
        f"The token endpoint {idp.netloc} answered HTTP 500 (a temporary server error)."
    )


def test_it_reports_an_unknown_tenant(server, idp):
    endpoint = idp.token_endpoint.replace(idp.tenant, "fabrikam.onmicrosoft.com")
    error = failure(oauth_config(server, idp, token_endpoint=endpoint))
    assert error.permanent
    assert error.message.startswith(f"{idp.netloc} is not an OAuth 2.0 token endpoint")


def test_it_rejects_a_token_endpoint_that_is_not_https(server, idp):
    endpoint = idp.token_endpoint.replace("https://", "http://")
    error = failure(oauth_config(server, idp, token_endpoint=endpoint))
    assert error.message.startswith("The Token Endpoint must be an https URL")


def test_it_reports_an_unreachable_token_endpoint(server, idp, closed_port):
    endpoint = f"https://127.0.0.1:{closed_port}/{idp.tenant}/oauth2/v2.0/token"
    error = failure(oauth_config(server, idp, token_endpoint=endpoint))
    assert not error.permanent
    assert error.message.startswith(
        f"Nothing answered at 127.0.0.1:{closed_port}: the connection was refused or timed out"
    )


def test_it_reports_an_untrusted_token_endpoint_certificate(server, identity_server, test_ca):
    idp = identity_server(tls_context=test_ca.server_context(untrusted_leaf()))
    error = failure(oauth_config(server, idp))
    assert error.message.startswith(
        "The TLS certificate of 127.0.0.1 is issued by an untrusted certificate authority"
    )


def test_it_refuses_oauth_when_the_server_lacks_xoauth2(smtp_server, idp):
    server = smtp_server("starttls", users={"u": "p"})
    error = failure(oauth_config(server, idp))
    assert error.permanent and "does not offer AUTH XOAUTH2" in error.message


def test_it_never_logs_or_shows_a_secret(server, idp, caplog):
    caplog.set_level(logging.DEBUG)
    errors = [
        failure(oauth_config(server, idp, client_secret="Wrong-Secret-123")),
        failure(oauth_config(server, idp, delegated=True, password="Wrong-Password-123")),
    ]
    config = oauth_config(server, idp, delegated=True)
    deliver(config)
    server.token_checker = lambda user, token: False
    errors.append(failure(config))
    secrets = [PASSWORD, idp.client_secret, "Wrong-Secret-123", "Wrong-Password-123"]
    secrets += list(idp.tokens) + list(idp.refresh_tokens)
    texts = [f"{e.message} {e.reply} {e.hint} {e!r}" for e in errors]
    texts += [record.getMessage() for record in caplog.records]
    assert len(secrets) > 5 and caplog.records
    assert not [s for s in secrets if any(s in text for text in texts)]


def test_it_describes_itself_without_secrets(idp, server):
    spec = smtp_token_spec(oauth_config(server, idp, delegated=True))
    token = TokenProvider(spec).get()
    assert PASSWORD not in repr(spec) and idp.client_secret not in repr(spec)
    assert token.value not in repr(token)
