"""Messages, transport configurations and a send-and-close helper for the transport tests and
the tests that reuse them (destination policy, MIME on the wire)."""

from email.message import EmailMessage

import pytest

from notifications.transports import TransportConfig, TransportError, get_transport
from tests.support.servers.aio import run

MAILBOX = "mailer@contoso.test"
PASSWORD = "Mailbox-pa55word!"


def notification(to="helpdesk@contoso.test", subject="Group changed", **headers) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "notifications@contoso.test"
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name] = value
    msg.set_content("The group Sales was changed.")
    return msg


def deliver(config, *messages, between=None):
    messages = messages or (notification(),)

    async def scenario():
        transport = get_transport(config)
        results = []
        try:
            for index, message in enumerate(messages):
                if between and index:
                    between()
                results.append(await transport.send(message))
        finally:
            await transport.close()
        return results

    return run(scenario())


def failure(config, message=None) -> TransportError:
    with pytest.raises(TransportError) as caught:
        deliver(config, message or notification())
    return caught.value


def oauth_config(server, idp, *, delegated=False, **overrides):
    values = dict(
        auth="oauth2",
        token_endpoint=idp.token_endpoint,
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        scope="https://outlook.office.com/SMTP.Send",
    )
    if delegated:
        values |= dict(username=MAILBOX, password=PASSWORD)
    return server.transport_config(**values | overrides)


def graph_config(idp, **overrides) -> TransportConfig:
    values = dict(
        host="",
        port=0,
        from_email="notifications@contoso.test",
        auth="graph",
        token_endpoint=idp.graph_endpoint,
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        scope=idp.tenant,
        timeout=5.0,
    )
    return TransportConfig(**values | overrides)
