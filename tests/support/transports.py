"""Messages, transport configurations and a send-and-close helper for the transport tests and
the tests that reuse them (destination policy, MIME on the wire)."""

from email.message import EmailMessage

import pytest

from notifications.transports import TransportConfig, TransportError, get_transport
from notifications.transports.base import RenderedMessage
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


def rendered(*recipients: str, data: bytes | None = None) -> RenderedMessage:
    """A message in wire form, as the outbox workers send it (a line starting with a dot)."""
    data = data or (
        b"From: notifications@contoso.test\r\nTo: helpdesk@contoso.test\r\n"
        b"Subject: Group changed\r\nMessage-ID: <r1@contoso.test>\r\n\r\n"
        b"The group Sales was changed.\r\n.leading dot\r\n"
    )
    return RenderedMessage(
        sender="notifications@contoso.test",
        recipients=recipients or ("helpdesk@contoso.test",),
        data=data,
        message_id="<r1@contoso.test>",
    )


def deliver(config, *messages, between=None, keep_errors=False):
    """Send on one transport, then close it: EmailMessages with `send`, RenderedMessages with
    `send_rendered`. With `keep_errors` a TransportError takes its message's place in the
    results instead of being raised."""
    messages = messages or (notification(),)

    async def scenario():
        transport = get_transport(config)
        results = []
        try:
            for index, message in enumerate(messages):
                if between and index:
                    between()
                is_rendered = isinstance(message, RenderedMessage)
                send = transport.send_rendered if is_rendered else transport.send
                try:
                    results.append(await send(message))
                except TransportError as exc:
                    if not keep_errors:
                        raise
                    results.append(exc)
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
