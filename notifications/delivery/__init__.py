"""Delivering outbox rows: claim them, send them, record what happened; sweep what was lost.

Celery runs this (notifications/tasks.py: `deliver`, `sweep`); nothing here knows about Celery.

States (docs/delivery.md)::

    queued ──► sending ──► sent
      ▲  │        │
      │  ▼        ├──► retrying ──► sending ──► …
     held         └──► dead  (permanent failure, or the last attempt failed)
      └─ "Not me" ──► dead

The path of one batch of row ids:

- claim.py: one conditional UPDATE moves the due rows to "sending", so two workers never send
  the same row; attempts are counted here. acting.py then holds rows that would carry an
  admin's password somewhere that admin has not trusted.
- lease.py: the claim is a lease, extended from the claiming thread while a helper thread sends.
- send.py: rows by store and configuration, a few reused connections per store; mime.py renders
  each row once into the bytes on the wire.
- record.py: sent, retrying on the written schedule, or dead and audited; one UPDATE per
  distinct outcome. reconnect.py writes again on a new connection when the database session
  dropped after the server accepted the batch (else the sweeper would send it twice).
- sweeper.py (a beat job): re-enqueues rows whose task was lost and takes back rows whose
  worker died.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import acting
from . import lease
from .claim import claim_due
from .mime import ensure_message_id, render_message
from .reconnect import with_reconnect
from .record import Retry, record_outcomes
from .send import Outcome, plan, send_batch
from .sweeper import purge_deleted, sweep

__all__ = [
    "Outcome",
    "Retry",
    "deliver",
    "ensure_message_id",
    "purge_deleted",
    "render_message",
    "sweep",
]


def deliver(ids: Sequence[int]) -> Retry | None:
    """Send whatever of `ids` is still due; the caller schedules the returned retry."""
    claimed_at, rows = claim_due(ids)
    rows = acting.hold_untrusted(rows, claimed_at)
    if not rows:
        return None
    grouped = plan(rows)
    outcomes = lease.run_leased(lambda: send_batch(grouped), [row.pk for row in rows], claimed_at)
    return with_reconnect(lambda: record_outcomes(outcomes, claimed_at), "Recording a batch")
