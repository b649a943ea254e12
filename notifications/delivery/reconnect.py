"""Database work of a worker that must outlive a dropped database session.

Once the SMTP server accepted a batch, the only copy of that fact is in the worker's memory
until the outcomes are written. If the database connection died meanwhile (a restarted or
failed-over PostgreSQL, a killed backend, a closed SQLite handle), giving up would leave the
rows "sending" until their lease runs out, and the sweeper would send them again. So the
worker opens a new connection and writes again, a few times over about twenty seconds — far
inside the lease, so the sweeper never mistakes a live worker for a dead one.

Errors that are not a lost connection (a constraint, a bug) are raised at once, untried again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)
T = TypeVar("T")
PAUSES = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0)  # seconds before each new try


def with_reconnect(work: Callable[[], T], what: str) -> T:
    """`work()`, run again on a fresh connection while the connection is what failed."""
    for attempt, pause in enumerate(PAUSES, start=1):
        before = None
        try:
            connection.ensure_connection()
            before = connection.connection
            return work()
        except DatabaseError as exc:
            # A failed transaction on a dead connection makes Django open a new one at once.
            if connection.connection is before and not connection_lost():
                raise
            log.warning(
                "%s: the database connection was lost (%s); reconnecting (try %d of %d)",
                what,
                type(exc).__name__,
                attempt + 1,
                len(PAUSES) + 1,
            )
            reset_connection()
            time.sleep(pause)
    return work()


def connection_lost() -> bool:
    """True when this thread's connection is closed or no longer answers a trivial query."""
    if connection.connection is None:  # Django dropped it after a failed rollback
        return True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return True
    return False


def reset_connection() -> None:
    """Forget the broken connection; the next query opens a new one."""
    try:
        connection.close()
    except DatabaseError as exc:  # closing a dead connection may fail too: it is gone either way
        log.debug("Closing the lost database connection failed: %s", exc)
