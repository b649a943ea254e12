"""What every transport (SMTP no-auth / Basic / XOAUTH2, Microsoft Graph) shares.

A transport is built from a `TransportConfig` (a plain snapshot of a store's settings, so the Test
Server button can pass unsaved form values) and sends `email.message.EmailMessage` objects or,
cheaper, `RenderedMessage`s (wire bytes plus envelope, what the outbox workers send). Every
failure is a `TransportError`; `permanent` says whether retrying can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol


class TransportError(Exception):
    """A message was not delivered. `message` is safe to show an admin: it never holds a secret."""

    def __init__(self, message: str, *, permanent: bool, reply: str = "", hint: str = ""):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.reply = reply
        self.hint = hint


@dataclass(frozen=True)
class TransportConfig:
    """How to reach the store's mail server. `repr` hides every secret."""

    host: str
    port: int
    from_email: str
    ssl_enabled: bool = False
    # "none": the acting admin's credentials (or no AUTH at all), "basic", "oauth2" (SMTP
    # XOAUTH2) or "graph" (Office 365: Graph sendMail)
    auth: str = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    token_endpoint: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scope: str = ""
    timeout: float = 15.0


@dataclass(frozen=True)
class RenderedMessage:
    """A message already in wire form (`notifications.delivery.mime.render_message`).

    `data` holds the headers and body with CRLF line endings and no Bcc header; `recipients` is
    the envelope (To, Cc and Bcc addresses). `bcc_header` is the `Bcc: …` line for transports
    that read recipients from the headers instead of an envelope (Graph).
    """

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    message_id: str
    bcc_header: bytes = b""
    # The envelope is only some of the header recipients (a follow-up for refused recipients).
    partial: bool = False


@dataclass(frozen=True)
class SendResult:
    """The server's acceptance: its reply line and any recipients it refused."""

    reply: str
    refused: dict[str, str] = field(default_factory=dict)


class Transport(Protocol):
    """Async so one worker can drive several connections per store at once.

    A transport may keep its connection open between `send` calls (it should: connection reuse
    is what makes throughput) and reconnects by itself when the server dropped it.
    """

    async def send(self, message: EmailMessage) -> SendResult: ...

    async def send_rendered(self, message: RenderedMessage) -> SendResult: ...

    async def close(self) -> None: ...
