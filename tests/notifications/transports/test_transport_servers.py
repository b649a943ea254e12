"""The loopback test servers behave like the real thing (checked with a plain aiosmtplib client)."""

import ssl
from email.message import EmailMessage

import aiosmtplib
import pytest

from tests.support.servers.aio import run


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "from@contoso.test"
    msg["To"] = "to@contoso.test"
    msg["Subject"] = "Hello"
    msg.set_content("body")
    return msg


def _client_context(test_ca) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(test_ca.ca_pem))


def test_it_records_plain_messages(smtp_server):
    server = smtp_server()
    run(aiosmtplib.send(_message(), hostname=server.host, port=server.port))
    (received,) = server.wait_for(1)
    assert received.rcpt_tos == ["to@contoso.test"]
    assert received.message["Subject"] == "Hello"
    assert not received.tls


def test_it_requires_starttls_and_then_accepts_auth_login(smtp_server, test_ca):
    server = smtp_server("starttls", users={"u": "p" * 3000})

    async def send():
        async with aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            tls_context=_client_context(test_ca),
            start_tls=False,
        ) as smtp:
            with pytest.raises(aiosmtplib.SMTPSenderRefused):
                await smtp.send_message(_message())
            await smtp.starttls()
            await smtp.ehlo()
            await smtp.auth_login("u", "p" * 3000)
            await smtp.send_message(_message())

    run(send())
    (received,) = server.wait_for(1)
    assert received.tls and received.auth_user == "u"


def test_it_speaks_implicit_tls_and_rejects_bad_passwords(smtp_server, test_ca):
    server = smtp_server("tls", users={"u": "p"})

    async def send():
        async with aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=True,
            tls_context=_client_context(test_ca),
        ) as smtp:
            await smtp.ehlo()
            with pytest.raises(aiosmtplib.SMTPAuthenticationError) as err:
                await smtp.auth_plain("u", "wrong")
            assert err.value.code == 535
            await smtp.auth_plain("u", "p")
            await smtp.send_message(_message())

    run(send())
    assert server.wait_for(1)[0].tls


def test_it_checks_xoauth2_bearer_tokens(smtp_server):
    server = smtp_server(token_checker=lambda user, token: token == "t" * 2500)

    async def send():
        async with aiosmtplib.SMTP(hostname=server.host, port=server.port) as smtp:
            await smtp.ehlo()
            assert "xoauth2" in smtp.server_auth_methods
            with pytest.raises(aiosmtplib.SMTPAuthenticationError):
                await smtp.auth_xoauth2("from@contoso.test", "nope")
            await smtp.auth_xoauth2("from@contoso.test", "t" * 2500)
            await smtp.send_message(_message())

    run(send())
    assert server.wait_for(1)[0].auth_user == "from@contoso.test"


def test_it_hides_auth_when_no_users(smtp_server):
    server = smtp_server()

    async def mechanisms():
        async with aiosmtplib.SMTP(hostname=server.host, port=server.port) as smtp:
            await smtp.ehlo()
            return smtp.supports_extension("auth")

    assert run(mechanisms()) is False


def test_it_injects_recipient_refusals_and_drops(smtp_server):
    server = smtp_server(rcpt_replies={"bad@contoso.test": "550 5.1.1 no such user"})
    msg = _message()
    msg["Cc"] = "bad@contoso.test"

    async def send():
        async with aiosmtplib.SMTP(hostname=server.host, port=server.port) as smtp:
            refused, _ = await smtp.send_message(msg)
            server.drop_on = "MAIL"
            with pytest.raises(aiosmtplib.SMTPServerDisconnected):
                await smtp.send_message(msg)
            return refused

    refused = run(send())
    assert refused["bad@contoso.test"][0] == 550


def test_it_counts_without_recording_in_sink_mode(smtp_server):
    server = smtp_server(sink=True)
    run(aiosmtplib.send(_message(), hostname=server.host, port=server.port))
    server.wait_for(1)
    assert server.count == 1 and server.received == []
