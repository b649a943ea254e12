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
  the same row; attempts are counted here. For stores without sending limits it takes the
  store's other due rows too (up to MAIL_CLAIM_LIMIT), so a burst goes out in a few large
  batches. acting.py then holds rows that would carry an admin's password somewhere that admin
  has not trusted.
- lease.py: the claim is a lease, extended from the claiming thread while a helper thread sends.
- budget.py: each store's send lane admits what its sending limits allow now (connections,
  messages a minute, recipients a message and a day, across every worker); the rest waits,
  untried. It reads the stores' settings in the query the plan needs anyway, so a store
  without limits or a lane costs nothing more.
- send.py: rows by store and configuration, a few reused connections per store, paced by the
  lane's grant (pacing.py); mime.py renders each row once into the bytes on the wire.
- failover.py: a store whose first SMTP server failed for its "Switch after" minutes sends
  through its second server (one probe message to the first every few minutes); after each
  batch the lane learns whether the first server worked, and switches over or back.
- learn.py: what the server signalled (throttling, a daily quota, refused credentials;
  signals.py) goes to the lane, and those rows wait without using up an attempt.
- record.py: sent, retrying on the written schedule, or dead and audited; one UPDATE per
  distinct outcome. reconnect.py writes again on a new connection when the database session
  dropped after the server accepted the batch (else the sweeper would send it twice).
- sweeper.py (a beat job): re-enqueues rows whose task was lost and takes back rows whose
  worker died.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from .. import acting
from . import budget, failover, learn, lease
from .claim import claim_due, claim_limit, claim_more
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


def deliver(ids: Sequence[int]) -> list[Retry]:
    """Send whatever of `ids` is still due and the store's lane admits; the caller schedules
    the returned retries (failed rows at their retry time, waiting rows when their lane opens)."""
    claimed_at, rows = claim_due(ids)
    if not rows:
        return []
    saved = budget.settings_of({row.store_id for row in rows})
    unlimited = [store_id for store_id, found in saved.items() if not budget.limited(found)]
    rows += claim_more(unlimited, claim_limit() - len(rows), claimed_at)
    rows = acting.hold_untrusted(rows, claimed_at)
    if not rows:
        return []
    admission = budget.admit(rows, saved)
    later = learn.requeue(admission.waiting, claimed_at)
    if admission.sending:
        grouped, watching = failover.route(plan(admission.sending, saved), saved)
        ids_sent = [row.pk for row in admission.sending]
        send = lambda: send_batch(grouped, admission.grants)  # noqa: E731
        outcomes = lease.run_leased(send, ids_sent, claimed_at)
        settle = lambda: _settle(admission, outcomes, claimed_at)  # noqa: E731
        later += with_reconnect(settle, "Recording a batch")
        due = with_reconnect(
            lambda: failover.learn(outcomes, saved, watching), "Recording a failover"
        )
        if due:
            later.append(Retry(due, timezone.now()))
    return [Retry(item.ids, item.eta) for item in later]


def _settle(admission: budget.Admission, outcomes: list[Outcome], claimed_at) -> list:
    """After the server answered: the lanes learn, signalled rows wait, the rest is recorded.
    Run again on a new connection if the database session dropped meanwhile."""
    outcomes, waiting = learn.settle(admission.grants, outcomes)
    later: list = learn.requeue(waiting, claimed_at)
    retry = record_outcomes(outcomes, claimed_at)
    if retry is not None:
        later.append(retry)
    return later
