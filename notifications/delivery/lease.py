"""Keeping a claim alive while its batch still sends.

A claimed row is "sending" until `lease_until`; the sweeper takes back only rows whose lease ran
out (their worker died). A batch that legitimately runs longer — a slow server, a big fan-out —
must not be handed to a second worker while the first still sends (double mail), so the sending
runs on a helper thread and the claiming thread extends the lease every quarter of
MAIL_SENDING_STALE_SECONDS until the batch is done. The database work stays on the claiming
thread and its connection; the sending thread touches no database. A live worker whose database
session dropped reconnects at the next beat (reconnect.py), so its lease keeps being extended
and only a dead worker's rows are ever taken back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from ..models import OutgoingMessage
from . import reconnect

log = logging.getLogger(__name__)
T = TypeVar("T")


def lease_end(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS)


def heartbeat_seconds() -> float:
    return max(settings.MAIL_SENDING_STALE_SECONDS / 4, 0.05)


def extend(ids: Sequence[int], claimed_at: datetime) -> int:
    """Push the lease of the rows this run still holds; returns how many it still holds."""
    return OutgoingMessage.objects.filter(
        pk__in=ids, status=OutgoingMessage.Status.SENDING, claimed_at=claimed_at
    ).update(lease_until=lease_end(timezone.now()))


def run_leased(send: Callable[[], T], ids: Sequence[int], claimed_at: datetime) -> T:
    """Run `send` (which must not use the database) while extending the rows' lease."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-send") as pool:
        future = pool.submit(send)
        while True:
            try:
                return future.result(timeout=heartbeat_seconds())
            except FutureTimeout:
                keep(ids, claimed_at)


def keep(ids: Sequence[int], claimed_at: datetime) -> None:
    """Extend the lease; a dropped database session is reopened at the next beat instead of
    ending the run, whose sent messages must still be recorded."""
    try:
        extend(ids, claimed_at)
    except DatabaseError as exc:
        if not reconnect.connection_lost():
            raise
        log.warning("Extending a lease: the database connection was lost (%s)", exc)
        reconnect.reset_connection()
