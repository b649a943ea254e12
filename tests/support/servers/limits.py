"""An SMTP server that enforces Exchange Online's sending limits, per server (one mailbox).

Microsoft documents per sending mailbox: 3 concurrent connections (a 4th gets `432 4.3.2
STOREDRV.ClientSubmit; sender thread limit exceeded`), 30 messages a minute, 10,000 recipients a
day (then `554 5.2.0 … SubmissionQuotaExceededException`) and a per-message recipient limit
(default 500; more are refused `452 4.5.3 Too many recipients`). Over the per-minute limit this
server answers `451 4.7.0`. Time is scaled: `minute` seconds make a minute, 1,440 of them a day
(days start at multiples of that since the epoch, as the send lane counts them).

Shared by the delivery tests and bench/pacing.py. Every refusal is counted in
`throttle_replies`; accepted messages in `count`, their recipients in `recipients`.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP

from .smtp import SMTPTestServer, _Handler

TOO_MANY_CONNECTIONS = "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
TOO_FAST = "451 4.7.0 Message submission rate for this client has exceeded the configured limit"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
OVER_QUOTA = (
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process "
    "message due to a permanent exception"
)


@dataclass(frozen=True)
class ExchangeLimits:
    connections: int = 3
    per_minute: int = 30
    per_day: int = 10_000
    per_message: int = 500
    minute: float = 60.0


@dataclass(eq=False)
class LimitedSMTPServer(SMTPTestServer):
    limits: ExchangeLimits = field(default_factory=ExchangeLimits)

    def __post_init__(self):
        super().__post_init__()
        self.handler_class = _LimitsHandler
        self.throttle_replies = 0
        self.replies: dict[str, int] = {}
        self.recipients = 0
        self.most_connections = 0
        self._accepted: deque[float] = deque()
        self._day = (0.0, 0)  # (day start, recipients that day)

    def refuse(self, reply: str) -> str:
        self.throttle_replies += 1
        code = reply[:9]
        self.replies[code] = self.replies.get(code, 0) + 1
        return reply

    def connection_allowed(self, smtp: SMTP) -> bool:
        """The oldest `connections` open sessions may send; a later one is one too many.
        Sessions that never greeted (the controller's own readiness probe) do not count."""
        sessions = self._controller.sessions
        sessions[:] = [s for s in sessions if s.transport is not None]
        greeted = [s for s in sessions if s.session is not None and s.session.host_name]
        self.most_connections = max(self.most_connections, len(greeted))
        return smtp in greeted[: self.limits.connections]

    def over_rate(self, now: float) -> bool:
        while self._accepted and self._accepted[0] <= now - self.limits.minute:
            self._accepted.popleft()
        return len(self._accepted) >= self.limits.per_minute

    def over_quota(self, now: float, count: int) -> bool:
        length = 1440 * self.limits.minute
        today = math.floor(now / length) * length
        if self._day[0] != today:
            self._day = (today, 0)
        return self._day[1] + count > self.limits.per_day

    def accept(self, now: float, count: int) -> None:
        self._accepted.append(now)
        self._day = (self._day[0], self._day[1] + count)
        self.recipients += count


class _LimitsHandler(_Handler):
    server: LimitedSMTPServer

    async def handle_MAIL(self, smtp, session, envelope, address, options):
        if not self.server.connection_allowed(smtp):
            return self.server.refuse(TOO_MANY_CONNECTIONS)
        return await super().handle_MAIL(smtp, session, envelope, address, options)

    async def handle_RCPT(self, smtp, session, envelope, address, options):
        if len(envelope.rcpt_tos) >= self.server.limits.per_message:
            return self.server.refuse(TOO_MANY_RECIPIENTS)
        return await super().handle_RCPT(smtp, session, envelope, address, options)

    async def handle_DATA(self, smtp, session, envelope):
        now = time.time()
        count = len(envelope.rcpt_tos)
        if self.server.over_rate(now):
            return self.server.refuse(TOO_FAST)
        if self.server.over_quota(now, count):
            return self.server.refuse(OVER_QUOTA)
        reply = await super().handle_DATA(smtp, session, envelope)
        if reply.startswith("250"):
            self.server.accept(now, count)
        return reply
