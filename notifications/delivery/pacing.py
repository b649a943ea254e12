"""The sending side of a send lane: a grant says how many connections one worker may open for a
store and when each message may start; the connections follow it and report what the server
signalled. Touches no database (it runs on the lease's helper thread, lease.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings

from ..transports import SendResult, Transport, TransportError
from ..transports.base import RenderedMessage
from .signals import Signal, is_too_many_recipients


@dataclass(eq=False)
class Grant:
    """What one batch of one store may use; `token` is empty for a store without a lane."""

    connections: int
    starts: deque[float] | None = None  # epoch seconds; None: as fast as connections go
    per_message: int | None = None
    token: str = ""
    signal: Signal | None = None
    error: TransportError | None = None
    refused_connections: int = 0
    learned_per_message: int | None = None
    accepted: list[float] = field(default_factory=list)  # when each transaction was accepted
    planned: tuple[float, ...] = ()  # the start times granted, replaced by `accepted` at settling

    @classmethod
    def open(cls) -> Grant:
        """No lane: the configured connections, no pacing, no bookkeeping."""
        return cls(connections=settings.MAIL_CONNECTIONS_PER_STORE)

    @property
    def noteworthy(self) -> bool:
        """Whether the lane must hear about this batch (a store without a lane mostly need not)."""
        return bool(
            self.token or self.signal or self.refused_connections or self.learned_per_message
        )

    async def turn(self) -> bool:
        """Wait for the next message's start time; False when this grant may send no more."""
        if self.signal is not None:
            return False
        if self.starts is None:
            return True
        if not self.starts:
            return False
        delay = self.starts.popleft() - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return self.signal is None

    def stop(self, signal: Signal, error: TransportError) -> None:
        """Every connection of the batch stops: the first signal is the one the lane learns."""
        if self.signal is None:
            self.signal, self.error = signal, error


async def send_in_parts(transport: Transport, message: RenderedMessage, grant: Grant) -> SendResult:
    """Send `message`, at most `grant.per_message` recipients per transaction.

    A server that refuses recipients only because the message had too many (452) gets them in
    further transactions, and the grant remembers how many one took. Once a first part went out,
    a later failure is reported as refused recipients, never raised: raising would send the
    delivered part again on the retry.
    """
    size = grant.per_message or len(message.recipients)
    part, remaining = list(message.recipients[:size]), list(message.recipients[size:])
    result = await _transaction(transport, message, part, grant)  # raises: nothing went out
    if not remaining and not result.refused:
        return result  # the usual case: one transaction, every recipient taken
    refused: dict[str, str] = {}
    while True:
        again = [addr for addr, why in result.refused.items() if is_too_many_recipients(why)]
        if again:
            grant.per_message = grant.learned_per_message = max(1, len(part) - len(again))
            remaining = again + remaining
        refused.update({a: why for a, why in result.refused.items() if a not in again})
        if not remaining:
            return SendResult(reply=result.reply, refused=refused)
        part, remaining = remaining[: grant.per_message], remaining[grant.per_message :]
        try:
            if not await grant.turn():
                raise grant.error or TransportError(NOT_SENT, permanent=False, reply=NOT_SENT)
            result = await _transaction(transport, message, part, grant)
        except TransportError as exc:
            refused.update(dict.fromkeys(part + remaining, exc.reply or exc.message))
            return SendResult(reply=result.reply, refused=refused)


async def _transaction(
    transport: Transport, message: RenderedMessage, part: list[str], grant: Grant
) -> SendResult:
    if len(part) != len(message.recipients):
        message = dataclasses.replace(message, recipients=tuple(part))
    result = await transport.send_rendered(message)
    grant.accepted.append(time.time())
    return result


NOT_SENT = "Not sent: the store's sending limit for this batch was reached."
