"""SMTP transport against the loopback aiosmtpd server: delivery in every mode, and every failure
class turned into a TransportError an admin can read."""

import logging

import pytest

from tests.support.servers.tls import untrusted_leaf
from tests.support.transports import deliver, failure, notification, rendered

SECRET = "pa55-Secret-never-shown"
# glibc refuses this name before sending any DNS query, so the test stays on loopback
UNRESOLVABLE = "smtp!.contoso.test"


def test_it_delivers_over_plain_smtp_without_auth(smtp_server):
    server = smtp_server()
    (result,) = deliver(server.transport_config())
    (received,) = server.wait_for(1)
    assert result.reply == "250 2.0.0 OK queued" and result.refused == {}
    assert received.mail_from == "notifications@contoso.test"
    assert (received.tls, received.auth_user) == (False, None)


def test_it_delivers_over_starttls(smtp_server):
    server = smtp_server("starttls")
    deliver(server.transport_config())
    assert server.wait_for(1)[0].tls


def test_it_delivers_over_implicit_tls(smtp_server):
    server = smtp_server("tls")
    deliver(server.transport_config())
    assert server.wait_for(1)[0].tls


def test_it_authenticates_with_plain_when_offered(smtp_server):
    server = smtp_server("starttls", users={"mailer": SECRET})
    deliver(server.transport_config(auth="basic", username="mailer", password=SECRET))
    assert server.wait_for(1)[0].auth_user == "mailer"
    assert server.auth_attempts == [("PLAIN", "mailer")]


def test_it_authenticates_with_login_when_only_login_is_offered(smtp_server):
    server = smtp_server("tls", users={"mailer": SECRET}, mechanisms={"LOGIN"})
    deliver(server.transport_config(auth="basic", username="mailer", password=SECRET))
    assert server.wait_for(1)[0].auth_user == "mailer"
    assert server.auth_attempts == [("LOGIN", "mailer")]


def test_it_uses_the_acting_admins_credentials_without_smtp_auth(smtp_server):
    server = smtp_server("starttls", users={"alice": SECRET})
    deliver(server.transport_config(auth="none", username="alice", password=SECRET))
    assert server.wait_for(1)[0].auth_user == "alice"


def test_it_never_sends_the_acting_admins_credentials_over_plain_smtp(smtp_server):
    server = smtp_server("plain", users={"alice": SECRET})
    deliver(server.transport_config(auth="none", username="alice", password=SECRET))
    assert server.wait_for(1)[0].auth_user is None
    assert server.auth_secrets == []


def test_it_relays_acting_admin_mail_when_the_server_offers_no_auth(smtp_server):
    server = smtp_server()
    deliver(server.transport_config(auth="none", username="alice", password=SECRET))
    assert server.wait_for(1)[0].auth_user is None


def test_it_refuses_basic_auth_when_the_server_offers_none(smtp_server):
    server = smtp_server()
    error = failure(server.transport_config(auth="basic", username="u", password=SECRET))
    assert "offers no AUTH PLAIN or LOGIN" in error.message and error.permanent


def test_it_reuses_one_connection_for_many_messages(smtp_server):
    server = smtp_server("starttls", users={"mailer": SECRET})
    config = server.transport_config(auth="basic", username="mailer", password=SECRET)
    deliver(config, *[notification(subject=f"n{i}") for i in range(20)])
    assert len(server.wait_for(20)) == 20
    assert server.auth_attempts == [("PLAIN", "mailer")]


def test_it_reconnects_when_the_server_dropped_the_connection(smtp_server):
    server = smtp_server()
    deliver(
        server.transport_config(), notification(), notification(), between=server.drop_connections
    )
    assert len(server.wait_for(2)) == 2
    assert server.connections == 2


def test_it_reports_partially_refused_recipients(smtp_server):
    server = smtp_server(rcpt_replies={"gone@contoso.test": "550 5.1.1 User unknown"})
    (result,) = deliver(server.transport_config(), notification(Cc="gone@contoso.test"))
    assert result.refused == {"gone@contoso.test": "550 5.1.1 User unknown"}
    assert server.wait_for(1)[0].rcpt_tos == ["helpdesk@contoso.test"]


def test_it_fails_permanently_when_every_recipient_is_refused(smtp_server):
    server = smtp_server(rcpt_replies={"helpdesk@contoso.test": "550 5.1.1 User unknown"})
    error = failure(server.transport_config())
    assert error.permanent
    assert error.message == (
        "The server refused every recipient (helpdesk@contoso.test: 550 5.1.1 User unknown)."
    )


def test_it_fails_transiently_on_a_4xx_recipient_reply(smtp_server):
    server = smtp_server(rcpt_replies={"helpdesk@contoso.test": "451 4.3.0 Try again later"})
    assert not failure(server.transport_config()).permanent


def test_it_classifies_data_replies(smtp_server):
    server = smtp_server(data_reply="554 5.2.0 STOREDRV.Submission.Exception")
    error = failure(server.transport_config())
    assert error.permanent and error.reply == "554 5.2.0 STOREDRV.Submission.Exception"
    assert "Send As" in error.hint
    server.data_reply = "452 4.3.1 Insufficient system storage"
    assert not failure(server.transport_config()).permanent


def test_it_reports_a_refused_login_with_the_servers_reply(smtp_server):
    server = smtp_server(
        "starttls",
        users={"mailer": "other"},
        auth_fail_reply="535 5.7.139 Authentication unsuccessful, basic auth is disabled.",
    )
    error = failure(server.transport_config(auth="basic", username="mailer", password=SECRET))
    assert error.permanent
    assert error.message.startswith("Authentication failed, the server answered: 535 5.7.139")
    assert "OAuth 2.0" in error.hint


def test_it_fails_transiently_when_the_connection_is_refused(smtp_server, closed_port):
    server = smtp_server()
    error = failure(server.transport_config(port=closed_port))
    assert not error.permanent
    assert error.message.startswith(
        f"Nothing answered at 127.0.0.1:{closed_port}: the connection was refused or timed out"
    )


def test_it_times_out_on_a_silent_server(smtp_server, silent_port):
    server = smtp_server()
    error = failure(server.transport_config(port=silent_port, timeout=0.3))
    assert not error.permanent
    assert error.message.startswith(f"Nothing answered at 127.0.0.1:{silent_port}: the")


def test_it_times_out_when_the_server_hangs_after_data(smtp_server):
    server = smtp_server(hang_on="DATA")
    error = failure(server.transport_config(timeout=0.3))
    assert "timed out" in error.message and not error.permanent


def test_it_fails_transiently_when_the_server_keeps_dropping(smtp_server):
    server = smtp_server(drop_on="MAIL")
    error = failure(server.transport_config())
    assert not error.permanent and "closed" in error.message


def test_it_names_a_name_that_does_not_resolve(smtp_server):
    error = failure(smtp_server().transport_config(host=UNRESOLVABLE))
    assert error.message == f"The name {UNRESOLVABLE} does not resolve (DNS lookup failed)."


def test_it_refuses_plain_text_when_ssl_is_enabled_and_starttls_is_missing(smtp_server):
    server = smtp_server()
    error = failure(server.transport_config(ssl_enabled=True))
    assert error.permanent
    assert error.message.startswith(f"127.0.0.1:{server.port} does not offer STARTTLS")
    assert server.count == 0


@pytest.mark.parametrize("mode", ["starttls", "tls"])
@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        (lambda ca: untrusted_leaf(), "is issued by an untrusted certificate authority"),
        (lambda ca: ca.wrong_host_leaf(), "does not match the host name 127.0.0.1"),
        (lambda ca: ca.expired_leaf(), "has expired"),
    ],
    ids=["untrusted", "hostname", "expired"],
)
def test_it_names_the_certificate_problem(smtp_server, test_ca, mode, leaf, expected):
    server = smtp_server(mode, leaf=leaf(test_ca))
    error = failure(server.transport_config())
    assert error.message.startswith(f"The TLS certificate of 127.0.0.1 {expected}")
    assert error.permanent and server.count == 0


def test_it_reports_a_failed_handshake_when_the_port_does_not_speak_tls(smtp_server, settings):
    server = smtp_server()
    settings.SMTP_IMPLICIT_TLS_PORTS = [server.port]
    error = failure(server.transport_config(ssl_enabled=True))
    assert error.message.startswith(f"TLS handshake with 127.0.0.1:{server.port} failed")


def test_it_never_logs_or_shows_the_password(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    server = smtp_server("starttls", users={"mailer": "another"})
    error = failure(server.transport_config(auth="basic", username="mailer", password=SECRET))
    server.users["mailer"] = SECRET
    deliver(server.transport_config(auth="basic", username="mailer", password=SECRET))
    texts = [error.message, error.reply, error.hint, str(error)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("Sent " in text for text in texts)
    assert not [text for text in texts if SECRET in text]


def test_it_sends_rendered_bytes_as_they_are_with_their_envelope(smtp_server):
    server = smtp_server("starttls", users={"mailer": SECRET})
    config = server.transport_config(auth="basic", username="mailer", password=SECRET)
    message = rendered("helpdesk@contoso.test", "audit@contoso.test")
    (result,) = deliver(config, message)
    (received,) = server.wait_for(1)
    assert result.reply == "250 2.0.0 OK queued"
    assert received.data == message.data
    assert (received.mail_from, received.rcpt_tos) == (
        "notifications@contoso.test",
        ["helpdesk@contoso.test", "audit@contoso.test"],
    )
    assert received.tls and received.auth_user == "mailer"


def test_it_reconnects_and_reports_refusals_for_rendered_messages(smtp_server):
    server = smtp_server(rcpt_replies={"gone@contoso.test": "550 5.1.1 User unknown"})
    first, second = deliver(
        server.transport_config(),
        rendered(),
        rendered("helpdesk@contoso.test", "gone@contoso.test"),
        between=server.drop_connections,
    )
    assert first.refused == {}
    assert second.refused == {"gone@contoso.test": "550 5.1.1 User unknown"}
    assert len(server.wait_for(2)) == 2 and server.connections == 2
