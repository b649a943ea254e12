"""Shared helpers of the life-cycle tests: a controllable clock and outbox readers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from notifications.models import OutgoingMessage

BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A moment given in Berlin wall-clock time (the test stores' zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def messages(store, kind: str = "lifecycle") -> list[OutgoingMessage]:
    return list(OutgoingMessage.objects.filter(store=store, kind=kind).order_by("id"))


def addresses(message: OutgoingMessage) -> list[str]:
    """Every address of one message: To, CC, Bcc."""
    return [a for part in (message.to, message.cc, message.bcc) for a in part.split("; ") if a]


def recipients(store, kind: str = "lifecycle") -> list[list[str]]:
    """Per message, its sorted addresses."""
    return [sorted(addresses(m)) for m in messages(store, kind)]


class StopAfter:
    """A progress callback that kills the run after `count` items (like a crash between items)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self) -> None:
        self.done += 1
        if self.done >= self.count:
            raise KeyboardInterrupt("killed")
