"""SMTP PIPELINING (RFC 2920) for the outbox workers' mail transactions.

aiosmtplib waits for the reply to each command before it sends the next, so one message costs
four round trips (MAIL, RCPT, DATA, the content) and its Python bookkeeping. Every server our
users send through (Exchange Online, Gmail, Postfix) offers PIPELINING: the envelope (MAIL, each
RCPT, DATA) goes out in one write, then the content in a second, so a message costs two round
trips and one reply parse per command.

aiosmtplib still opens the connection, greets, starts TLS and authenticates (where the errors
worth reading happen); `Pipeline` then takes over the connection's transport. Replies are turned
into the same aiosmtplib exceptions `sendmail` raises, so `smtp_errors` reads both paths alike.
"""

from __future__ import annotations

import asyncio
from collections import deque

import aiosmtplib
from aiosmtplib import SMTPResponse
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

MAX_REPLY_LINE = 8192  # longer is not SMTP (RFC 5321 allows 512)


def _wire_form(data: bytes) -> bytes:
    """CRLF line endings and dot-stuffing, as aiosmtplib sends content. Rendered messages
    already have CRLF and rarely a line starting with a dot: checked in C, changed only then."""
    bare = data.count(b"\n") != data.count(b"\r\n") or data.count(b"\r") != data.count(b"\r\n")
    if bare:
        data = normalize_message_line_endings(data)
    if data.startswith(b".") or b"\n." in data:
        data = PERIOD_REGEX.sub(b"..", data)
    return data


class Pipeline(asyncio.Protocol):
    """One connection's mail transactions, pipelined. Use only when the server offers it."""

    def __init__(self, smtp: aiosmtplib.SMTP, timeout: float):
        self.timeout = timeout
        self.size = smtp.supports_extension("size")
        self.transport: asyncio.WriteTransport = smtp.transport  # type: ignore[assignment]
        self._buffer = bytearray()
        self._lines: list[bytes] = []  # the lines of a multi-line reply so far
        self._replies: deque[SMTPResponse] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._wanted = 0
        self._lost: aiosmtplib.SMTPException | None = None
        self.transport.set_protocol(self)

    @property
    def is_connected(self) -> bool:
        return self._lost is None and not self.transport.is_closing()

    async def sendmail(
        self, sender: str, recipients: tuple[str, ...], data: bytes
    ) -> tuple[dict[str, SMTPResponse], str]:
        """aiosmtplib's `sendmail` contract: (refused recipients, the final reply's text), or
        the same exception it would raise. Addresses come checked from `mime.render_message`."""
        data = _wire_form(data)
        size = f" SIZE={len(data)}" if self.size else ""
        envelope = [f"MAIL FROM:<{sender}>{size}", *(f"RCPT TO:<{r}>" for r in recipients)]
        self._write(("\r\n".join([*envelope, "DATA"]) + "\r\n").encode("ascii"))
        try:
            return await self._transaction(sender, recipients, data)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            await self._reset()
            raise

    async def quit(self) -> None:
        try:
            self._write(b"QUIT\r\n")
            await self._read(1)
        finally:
            self.transport.close()

    # -- the transaction ---------------------------------------------------------------------

    async def _transaction(
        self, sender: str, recipients: tuple[str, ...], data: bytes
    ) -> tuple[dict[str, SMTPResponse], str]:
        replies = await self._read(len(recipients) + 2)
        if replies[0].code != 250:
            raise aiosmtplib.SMTPSenderRefused(replies[0].code, replies[0].message, sender)
        if len(replies) < len(recipients) + 2:  # closed after the sender was taken
            raise self._disconnected()
        rcpts, start = replies[1:-1], replies[-1]
        refused = {r: reply for r, reply in zip(recipients, rcpts, strict=True) if reply.code > 251}
        if start.code == 354 and len(refused) == len(recipients):
            self._write(b".\r\n")  # DATA was taken with no recipient: end it empty
            await self._read(1)
        if len(refused) == len(recipients):
            raise aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(r.code, r.message, a) for a, r in refused.items()]
            )
        if start.code != 354:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        self._write(data + b".\r\n")
        done = (await self._read(1))[0]
        if done.code != 250:
            raise aiosmtplib.SMTPDataError(done.code, done.message)
        return refused, done.message

    async def _reset(self) -> None:
        """As aiosmtplib does after a refusal: RSET, so the next message starts clean."""
        if not self.is_connected:
            return
        try:
            self._write(b"RSET\r\n")
            await self._read(1)
        except aiosmtplib.SMTPException:
            pass

    def _write(self, data: bytes) -> None:
        if not self.is_connected:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        self.transport.write(data)

    async def _read(self, count: int) -> list[SMTPResponse]:
        """The next `count` replies; fewer when the server closed the connection after sending
        some (a 421 to MAIL, then goodbye), none → SMTPServerDisconnected."""
        if len(self._replies) < count and self._lost is None:
            await self._wait(count)
        if not self._replies:
            raise self._disconnected()
        taken = [self._replies.popleft() for _ in range(min(count, len(self._replies)))]
        if any(reply.code == 421 for reply in taken):
            self.transport.close()  # the server is closing: as aiosmtplib, do not wait for it
        return taken

    def _disconnected(self) -> aiosmtplib.SMTPException:
        return self._lost or aiosmtplib.SMTPServerDisconnected("Connection lost")

    async def _wait(self, count: int) -> None:
        loop = asyncio.get_running_loop()
        self._wanted, self._waiter = count, loop.create_future()
        timer = loop.call_later(self.timeout, self._time_out, self._waiter)
        try:
            await self._waiter
        finally:
            timer.cancel()
            self._waiter = None

    def _time_out(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_exception(
                aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response")
            )

    def _wake(self) -> None:
        waiter = self._waiter
        ready = len(self._replies) >= self._wanted or self._lost is not None
        if waiter is not None and not waiter.done() and ready:
            waiter.set_result(None)

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        start = 0
        while (end := self._buffer.find(b"\n", start)) >= 0:
            line = bytes(self._buffer[start : end + 1])
            start = end + 1
            if not self._parse(line):
                break
        del self._buffer[:start]
        if len(self._buffer) > MAX_REPLY_LINE:
            self._fail(aiosmtplib.SMTPResponseException(-1, "Response too long"))
        self._wake()

    def _parse(self, line: bytes) -> bool:
        code = line[:3]
        if len(line) > MAX_REPLY_LINE or not code.isdigit():
            self._fail(aiosmtplib.SMTPResponseException(-1, "Malformed SMTP response line"))
            return False
        self._lines.append(line[4:].strip(b" \t\r\n"))
        if line[3:4] != b"-":
            text = b"\n".join(self._lines).decode("utf-8", "surrogateescape")
            self._replies.append(SMTPResponse(int(code), text))
            self._lines = []
        return True

    def _fail(self, error: Exception) -> None:
        """A server that does not speak SMTP: stop reading it and drop the connection."""
        self._lost = error
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost is None:
            reason = f"Connection lost: {exc}" if exc else "Connection lost"
            self._lost = aiosmtplib.SMTPServerDisconnected(reason)
        self._wake()

    def eof_received(self) -> bool:
        return False  # close our side too
