"""The Test Server sending logic: a real test message, or a precise human error, never a raise."""

import logging
import time

import pytest

from core import ratelimit
from notifications.server_check import send_test_message
from notifications.transports import TransportConfig
from tests.support.servers.tls import untrusted_leaf

SECRET = "pa55-Secret-never-shown"
UNRESOLVABLE = "smtp!.contoso.test"  # glibc refuses it without a DNS query


def run(config, recipient="admin@contoso.test", **kwargs):
    return send_test_message(config, recipient, store_name="Contoso AD", store_id=1, **kwargs)


def test_it_sends_a_test_notification(smtp_server):
    server = smtp_server("starttls", users={"mailer": SECRET})
    result = run(server.transport_config(auth="basic", username="mailer", password=SECRET))
    (received,) = server.wait_for(1)
    assert result.ok
    assert result.message == (
        f"The test message was accepted by 127.0.0.1:{server.port}. Check the recipient's mailbox."
    )
    assert result.reply == "250 2.0.0 OK queued"
    assert received.rcpt_tos == ["admin@contoso.test"]
    assert received.message["Subject"] == "Test notification from Contoso AD"
    assert received.message["Auto-Submitted"] == "auto-generated"


def test_it_names_a_dns_failure(smtp_server):
    result = run(smtp_server().transport_config(host=UNRESOLVABLE))
    assert not result.ok
    assert result.message == f"The name {UNRESOLVABLE} does not resolve (DNS lookup failed)."


def test_it_names_a_refused_connection(smtp_server, closed_port):
    result = run(smtp_server().transport_config(port=closed_port))
    assert result.message.startswith(
        f"Nothing answered at 127.0.0.1:{closed_port}: the connection was refused or timed out"
    )


def test_it_names_a_timeout(smtp_server, silent_port):
    result = run(smtp_server().transport_config(port=silent_port, timeout=0.3))
    assert result.message.startswith(f"Nothing answered at 127.0.0.1:{silent_port}: the")


def test_it_stays_within_its_time_limit(smtp_server, silent_port):
    started = time.monotonic()
    result = run(smtp_server().transport_config(port=silent_port, timeout=30), time_limit=0.5)
    assert time.monotonic() - started < 2
    assert result.message == f"No answer from 127.0.0.1:{silent_port} within 0.5 s (timed out)."


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        (lambda ca: untrusted_leaf(), "is issued by an untrusted certificate authority"),
        (lambda ca: ca.wrong_host_leaf(), "does not match the host name 127.0.0.1"),
        (lambda ca: ca.expired_leaf(), "has expired"),
    ],
    ids=["untrusted", "hostname", "expired"],
)
def test_it_names_the_certificate_problem(smtp_server, test_ca, leaf, expected):
    result = run(smtp_server("starttls", leaf=leaf(test_ca)).transport_config())
    assert result.message.startswith(f"The TLS certificate of 127.0.0.1 {expected}")


def test_it_names_a_missing_starttls(smtp_server):
    server = smtp_server()
    result = run(server.transport_config(ssl_enabled=True))
    assert result.message.startswith(f"127.0.0.1:{server.port} does not offer STARTTLS")


@pytest.mark.parametrize(
    ("reply", "hint"),
    [
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            "for the Tenant.",
            "Basic authentication (SMTP AUTH) is disabled",
        ),
        ("535 5.7.3 Authentication unsuccessful", "Exchange Online rejected the sign-in"),
        (
            "550 5.7.30 Basic authentication is not supported for Client Submission.",
            "set Authentication Type to OAuth 2.0",
        ),
    ],
)
def test_it_explains_exchange_authentication_replies(smtp_server, reply, hint):
    server = smtp_server("starttls", users={"mailer": "other"}, auth_fail_reply=reply)
    result = run(server.transport_config(auth="basic", username="mailer", password=SECRET))
    assert result.message == f"Authentication failed, the server answered: {reply}"
    assert result.reply == reply
    assert hint in result.hint


@pytest.mark.parametrize(
    ("reply", "hint"),
    [
        (
            "530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM",
            "turn on “Use SMTP user authentication”",
        ),
        ("550 5.7.60 SMTP; Client does not have permissions to send as this sender", "Send As"),
        ("554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException", "Send As"),
    ],
)
def test_it_explains_exchange_sender_replies(smtp_server, reply, hint):
    server = smtp_server(mail_reply=reply)
    result = run(server.transport_config())
    assert result.message == f"The server refused the sender address: {reply}"
    assert hint in result.hint


def test_it_reports_the_token_endpoint_error(smtp_server, identity_server):
    idp = identity_server()
    server = smtp_server("starttls", token_checker=idp.is_valid)
    config = server.transport_config(
        auth="oauth2",
        token_endpoint=idp.token_endpoint,
        client_id=idp.client_id,
        client_secret=SECRET,
        scope="https://outlook.office.com/SMTP.Send",
    )
    result = run(config)
    assert result.message.startswith(
        "The token endpoint refused the request: invalid_client: AADSTS7000215: Invalid client "
        "secret provided."
    )
    assert result.hint == "The Client Secret is wrong or expired: create a new one in Entra ID."


def test_it_succeeds_through_oauth_and_graph(smtp_server, identity_server, settings):
    idp = identity_server()
    settings.GRAPH_LOGIN_AUTHORITY_HOST = idp.netloc
    common = dict(client_id=idp.client_id, client_secret=idp.client_secret)
    server = smtp_server("starttls", token_checker=idp.is_valid)
    smtp = server.transport_config(auth="oauth2", token_endpoint=idp.token_endpoint, **common)
    graph = TransportConfig(
        host="",
        port=0,
        from_email="notifications@contoso.test",
        auth="graph",
        token_endpoint=idp.graph_endpoint,
        scope=idp.tenant,
        **common,
    )
    assert run(smtp).ok
    result = run(graph)
    assert result.ok and result.message.startswith("The test message was accepted by Microsoft")
    assert len(idp.wait_for_graph(1)) == 1


def test_it_refuses_a_recipient_with_a_line_break(smtp_server):
    server = smtp_server()
    result = run(server.transport_config(), recipient="a@contoso.test\r\nBcc: x@evil.test")
    assert not result.ok and "line breaks" in result.message
    assert server.count == 0


def test_it_never_shows_or_logs_a_secret(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    server = smtp_server("starttls", users={"mailer": "other"})
    result = run(server.transport_config(auth="basic", username="mailer", password=SECRET))
    texts = [result.message, result.reply, result.hint]
    texts += [record.getMessage() for record in caplog.records]
    assert not result.ok
    assert any("Test message for Contoso AD" in text for text in texts)
    assert not [text for text in texts if SECRET in text]


@pytest.fixture
def private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_it_limits_presses_per_admin(private_cache):
    assert [ratelimit.allow("test-server:1") for _ in range(6)] == [True] * 5 + [False]
    assert ratelimit.allow("test-server:2")
