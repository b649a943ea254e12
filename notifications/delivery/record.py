"""Recording what sending gave: sent, retrying on the written schedule, or dead and audited.

Outcomes are written together after the batch, one UPDATE per distinct outcome, and only to rows
this run still holds: a sweeper that took back a slow batch wins. Reasons come from
TransportError messages, which never hold a secret; the admin's sign-in credentials a row may
carry are wiped as soon as it is sent or dead.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from identitystores import audit

from ..models import OutgoingMessage
from ..transports import SendResult, TransportError
from . import refusals
from .send import Outcome

log = logging.getLogger(__name__)
Status = OutgoingMessage.Status

FINAL_FIELDS = [
    "status", "sent_at", "server_reply", "last_error", "acting_credentials", "sent_via"
]  # fmt: skip
RETRY_FIELDS = ["status", "next_attempt_at", "last_error", "attempts"]
TEXT_LIMIT = 500  # last_error / server_reply column size


@dataclass(frozen=True)
class Retry:
    """Rows that failed transiently and when the last of them is due again."""

    ids: list[int]
    eta: datetime


def record_outcomes(outcomes: list[Outcome], claimed_at: datetime) -> Retry | None:
    """Write every outcome, one UPDATE per distinct result; audit the rows that are dead.

    Rows of a batch mostly end alike (all sent with the same reply, or all failed the same way),
    so this is a handful of statements per batch. Hence one `sent_at` per batch (the moment the
    outcomes are recorded) and one jittered retry time per attempt count. Recipients refused
    while the others got the message are written by refusals.py in the same transaction.
    """
    now = timezone.now()
    retry_at = _schedule(now)
    groups: dict[tuple, list[OutgoingMessage]] = defaultdict(list)
    for outcome in outcomes:
        _apply(outcome, now, retry_at)
        groups[_written(outcome.row)].append(outcome.row)
    # Only rows still claimed by this run: a sweeper that took back a slow batch wins.
    ours = OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at=claimed_at)
    with transaction.atomic():
        follow_ups = refusals.record(refusals.partial(outcomes), claimed_at, retry_at)
        for values, rows in groups.items():
            ours.filter(pk__in=[row.pk for row in rows]).update(**dict(values))
        audit_dead([o.row for o in outcomes if o.row.status == Status.DEAD])
    _log(outcomes)
    retrying = [o.row for o in outcomes if o.row.status == Status.RETRYING] + follow_ups
    if not retrying:
        return None
    return Retry([row.pk for row in retrying], max(row.next_attempt_at for row in retrying))


def _schedule(now: datetime) -> Callable[[int], datetime]:
    """When rows that failed attempt n are due again: one jittered time per attempt count."""
    times: dict[int, datetime] = {}

    def retry_at(attempt: int) -> datetime:
        return times.setdefault(attempt, now + retry_delay(attempt))

    return retry_at


def _apply(outcome: Outcome, now: datetime, retry_at: Callable[[int], datetime]) -> None:
    """Set the row's status and reason from its outcome (in memory; written together later)."""
    row, error = outcome.row, outcome.error
    if not outcome.tried:  # never handed to the server: the claim's attempt is given back
        row.attempts -= 1
    if error is None:
        _mark_sent(row, outcome.result, now, outcome.via)
    elif outcome.tried and (error.permanent or row.attempts >= settings.MAIL_MAX_ATTEMPTS):
        mark_dead(row, describe(error, exhausted=not error.permanent))
    else:
        row.status = Status.RETRYING
        row.next_attempt_at = retry_at(row.attempts)
        row.last_error = describe(error)


def _written(row: OutgoingMessage) -> tuple:
    """The (field, value) pairs the row's outcome writes, hashable to group equal outcomes."""
    fields = RETRY_FIELDS if row.status == Status.RETRYING else FINAL_FIELDS
    return tuple((name, getattr(row, name)) for name in fields)


def _mark_sent(row: OutgoingMessage, result: SendResult, now: datetime, via: str) -> None:
    row.status = Status.SENT
    row.sent_via = via[:260]
    row.sent_at = now
    row.server_reply = result.reply[:TEXT_LIMIT]
    row.last_error = refusals.describe(result.refused)[:TEXT_LIMIT] if result.refused else ""
    row.acting_credentials = ""


def mark_dead(row: OutgoingMessage, reason: str) -> None:
    """Dead with `reason` (cut to the column) and no credentials left on the row."""
    row.status = Status.DEAD
    row.last_error = reason[:TEXT_LIMIT]
    row.acting_credentials = ""


def describe(error: TransportError, *, exhausted: bool = False) -> str:
    """The admin-facing reason; TransportError messages never hold a secret."""
    text = error.message
    if error.hint:
        text = f"{text} {error.hint}"
    if exhausted:
        text = f"Gave up after {settings.MAIL_MAX_ATTEMPTS} attempts. Last error: {text}"
    return text


def retry_delay(attempt: int) -> timedelta:
    """After failed attempt n: MAIL_RETRY_BASE_SECONDS·2^(n−1), at most MAIL_RETRY_MAX_SECONDS,
    then ±20 % jitter so rows that failed together do not all come back together."""
    seconds = settings.MAIL_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    seconds = min(seconds, settings.MAIL_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def audit_dead(rows: list[OutgoingMessage]) -> None:
    """One history entry per undelivered message, on its store: subject, recipients, reason."""
    by_store: dict[int, list[OutgoingMessage]] = defaultdict(list)
    for row in rows:
        by_store[row.store_id].append(row)
    for group in by_store.values():
        changes = [(row.subject[:120], _recipients(row), row.last_error) for row in group]
        audit.record(group[0].store, None, "notification not delivered", changes)


def _recipients(row: OutgoingMessage) -> str:
    parts = [
        f"{name}: {value}"
        for name, value in (("To", row.to), ("CC", row.cc), ("Bcc", row.bcc))
        if value
    ]
    text = " ".join(parts)
    return text if len(text) <= 300 else text[:297] + "..."


def _log(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.error is not None:
            row = outcome.row
            log.warning(
                "Outbox message %s (store %s) %s: %s",
                row.pk,
                row.store_id,
                row.status,
                outcome.error.message,
            )
    sent = sum(1 for o in outcomes if o.error is None)
    log.info("Outbox batch: %d sent, %d not sent", sent, len(outcomes) - sent)
