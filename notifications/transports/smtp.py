"""SMTP delivery with aiosmtplib: no AUTH, the acting admin's (over TLS only) or Basic
credentials, STARTTLS or implicit TLS, one connection kept open across calls.

`send_rendered` passes wire bytes and envelope straight to the server (the outbox workers' path):
pipelined (pipelining.py) when the server offers PIPELINING, else through aiosmtplib's
`sendmail`. `send` takes an EmailMessage, which aiosmtplib flattens (the Test Server button's
path). One `SMTPTransport` drives one connection; sends on the same instance are serialised.
For parallel delivery create several transports (Exchange Online allows 3 per mailbox).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib
from django.conf import settings

from core import destinations, tls

from .base import RenderedMessage, SendResult, TransportConfig, TransportError
from .pipelining import Pipeline
from .smtp_errors import smtp_error

log = logging.getLogger(__name__)
# One mail transaction (MAIL, RCPT…, DATA) on a connected client: aiosmtplib's (refused, reply).
Transaction = Callable[[aiosmtplib.SMTP], Awaitable[tuple[dict[str, aiosmtplib.SMTPResponse], str]]]


class SMTPTransport:
    """Sends over a reused connection, reconnecting once when the server dropped it."""

    def __init__(self, config: TransportConfig):
        self.config = config
        self.where = f"{config.host}:{config.port}"
        self._smtp: aiosmtplib.SMTP | None = None
        self._pipe: Pipeline | None = None  # the connection, taken over for pipelining
        self._lock = asyncio.Lock()
        self._withheld = False  # the acting admin's credentials were not sent (plain SMTP)

    async def send(self, message: EmailMessage) -> SendResult:
        sender = parseaddr(str(message.get("From", "")))[1] or self.config.from_email
        message_id = message.get("Message-ID", "without Message-ID")
        if self._pipe is not None:  # aiosmtplib no longer reads that connection
            async with self._lock:
                await self._drop()
        return await self._send(lambda smtp: smtp.send_message(message, sender=sender), message_id)

    async def send_rendered(self, message: RenderedMessage) -> SendResult:
        """The wire bytes as they are (no re-flattening): what the outbox workers use."""
        sender = message.sender or self.config.from_email

        async def transaction(smtp: aiosmtplib.SMTP) -> tuple[dict, str]:
            if self._pipe is None and smtp.supports_extension("pipelining"):
                self._pipe = Pipeline(smtp, self.config.timeout)
            if self._pipe is not None:
                return await self._pipe.sendmail(sender, message.recipients, message.data)
            return await smtp.sendmail(sender, message.recipients, message.data)

        return await self._send(transaction, message.message_id)

    async def _send(self, transaction: Transaction, message_id: str) -> SendResult:
        async with self._lock:
            reused = self._connected
            try:
                return await self._deliver(transaction, message_id)
            except aiosmtplib.SMTPServerDisconnected as exc:
                await self._drop()
                if not reused:
                    raise self._error(exc) from None
            log.info("Reconnecting to %s: the server closed the connection", self.where)
            try:
                return await self._deliver(transaction, message_id)
            except aiosmtplib.SMTPServerDisconnected as exc:
                await self._drop()
                raise self._error(exc) from None

    async def close(self) -> None:
        async with self._lock:
            if self._connected:
                try:
                    await (self._pipe.quit() if self._pipe else self._smtp.quit())
                except aiosmtplib.SMTPException:
                    self._smtp.close()
            self._smtp = self._pipe = None

    @property
    def _connected(self) -> bool:
        if self._pipe is not None:
            return self._pipe.is_connected
        return self._smtp is not None and self._smtp.is_connected

    # -- connection ------------------------------------------------------------------------

    async def _deliver(self, transaction: Transaction, message_id: str) -> SendResult:
        """Raises SMTPServerDisconnected untranslated: `_send` retries it on a fresh connection."""
        try:
            smtp = await self._connection()
            refused, reply = await transaction(smtp)
        except aiosmtplib.SMTPServerDisconnected:
            raise
        except TransportError:
            await self._drop()
            raise
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused) as exc:
            # A refused sender, recipient or message leaves the connection usable.
            raise self._error(exc) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._drop()
            raise self._error(exc) from None
        result = SendResult(
            reply=f"250 {reply}",  # aiosmtplib returns the text; DATA succeeded only with 250
            refused={addr: f"{err.code} {err.message}" for addr, err in refused.items()},
        )
        log.debug(
            "Sent %s via %s (%d recipients refused)",
            message_id,
            self.where,
            len(result.refused),
        )
        return result

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._connected:
            return self._smtp
        await self._drop()
        try:
            # The address the policy approved; TLS still verifies the certificate for the name.
            sock = await destinations.open_socket(
                self.config.host, self.config.port, self.config.timeout
            )
        except destinations.DestinationRefused as exc:
            raise TransportError(str(exc), permanent=True) from None
        smtp = aiosmtplib.SMTP(
            hostname=self.config.host,
            sock=sock,
            local_hostname=socket.gethostname(),
            timeout=self.config.timeout,
            use_tls=self._implicit_tls,
            start_tls=False,
            tls_context=tls.client_context(),
        )
        try:
            await smtp.connect()
            await smtp.ehlo()
            if self.config.ssl_enabled and not self._implicit_tls:
                await self._starttls(smtp)
            await self._authenticate(smtp)
        except BaseException:
            smtp.close()
            sock.close()
            raise
        self._smtp = smtp
        return smtp

    @property
    def _implicit_tls(self) -> bool:
        return self.config.ssl_enabled and self.config.port in settings.SMTP_IMPLICIT_TLS_PORTS

    async def _starttls(self, smtp: aiosmtplib.SMTP) -> None:
        if not smtp.supports_extension("starttls"):
            raise TransportError(
                f"{self.where} does not offer STARTTLS, but SSL is enabled. Use the server's "
                "TLS port (implicit TLS is used on 465) or turn SSL off.",
                permanent=True,
            )
        await smtp.starttls()
        await smtp.ehlo()

    async def _authenticate(self, smtp: aiosmtplib.SMTP) -> None:
        """Basic: PLAIN or LOGIN as offered. No auth: the acting admin's credentials, if any, and
        only over verified TLS — never over plain SMTP, where anyone on the path reads them."""
        if not self.config.username:
            if self.config.auth == "basic":
                raise TransportError("Basic authentication needs an SMTP username.", permanent=True)
            return
        if self.config.auth == "none" and not self.config.ssl_enabled:
            self._withheld = True
            return
        offered = smtp.server_auth_methods if smtp.supports_extension("auth") else []
        if "plain" in offered:
            await smtp.auth_plain(self.config.username, self.config.password)
        elif "login" in offered:
            await smtp.auth_login(self.config.username, self.config.password)
        elif self.config.auth == "basic":
            raise TransportError(
                f"{self.where} offers no AUTH PLAIN or LOGIN"
                + (f" (only {', '.join(offered).upper()})" if offered else "")
                + ", so the SMTP username and password cannot be used.",
                permanent=True,
            )

    async def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = self._pipe = None

    def _error(self, exc: Exception) -> TransportError:
        error = smtp_error(exc, self.where, self.config.timeout)
        if self._withheld and error.reply.startswith("530"):
            error.hint = (
                f"{self.where} requires authentication, but sign-in credentials are sent only "
                "over SSL: turn on SSL enabled for sign-in credentials to be used, or select "
                "Use SMTP user authentication."
            )
        return error
