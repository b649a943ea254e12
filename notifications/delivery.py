"""Sending outbox rows: claim them, send them per store over a few reused connections, record
what happened. Celery runs this (tasks.py); nothing here knows about Celery.

States (docs/delivery.md): queued → sending → sent, or → retrying → sending … → dead. A row is
claimed by one conditional UPDATE, so two workers never send the same row; attempts are counted
at the claim, so a message that keeps killing workers still reaches its last attempt. The claim
is a lease the worker extends while its batch sends (lease.py); rows that would carry an admin's
password somewhere that admin has not trusted are held instead of sent (acting.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import uvloop
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from identitystores import audit, credentials

from . import acting, lease
from .mime import ensure_message_id, render_message
from .models import NotificationSettings, OutgoingMessage
from .smtp_config import config_from_settings
from .transports import SendResult, Transport, TransportConfig, TransportError, get_transport

log = logging.getLogger(__name__)
Status = OutgoingMessage.Status

# A connection that failed this many messages in a row stops; the rest of the batch retries later
# (a server that is down or refuses our credentials is not hammered once per message).
MAX_CONSECUTIVE_FAILURES = 3
FINAL_FIELDS = ["status", "sent_at", "server_reply", "last_error", "acting_credentials"]
RETRY_FIELDS = ["status", "next_attempt_at", "last_error"]
CLAIM_CHUNK = 500
TEXT_LIMIT = 500  # last_error / server_reply column size


@dataclass
class Outcome:
    row: OutgoingMessage
    result: SendResult | None = None
    error: TransportError | None = None


@dataclass(frozen=True)
class Retry:
    """Rows that failed transiently and when the last of them is due again."""

    ids: list[int]
    eta: datetime


def deliver(ids: Sequence[int]) -> Retry | None:
    """Send whatever of `ids` is still due; the caller schedules the returned retry."""
    claimed_at, rows = claim(ids)
    rows = acting.hold_untrusted(rows, claimed_at)
    if not rows:
        return None
    grouped = plan(rows)
    outcomes = lease.run_leased(lambda: _run(grouped), [row.pk for row in rows], claimed_at)
    return record(outcomes, claimed_at)


def _run(grouped: dict[int, dict[TransportConfig | None, list]]) -> list[Outcome]:
    # uvloop: the event loop and socket writes in C take a tenth off the CPU per message.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(send_all(grouped))


# -- claiming ------------------------------------------------------------------------------------


def claim(ids: Sequence[int]) -> tuple[datetime, list[OutgoingMessage]]:
    """Move due rows among `ids` to "sending" and return them (only the ones this call moved)."""
    now = timezone.now()
    claimed: list[int] = []
    for start in range(0, len(ids), CLAIM_CHUNK):
        claimed += _claim_chunk(ids[start : start + CLAIM_CHUNK], now)
    rows = list(OutgoingMessage.objects.filter(pk__in=claimed).order_by("pk"))
    for row in rows:
        if not row.message_id:  # rows written without new_message(): one query each, once
            ensure_message_id(row)
    return now, rows


def _claim_chunk(ids: Sequence[int], now: datetime) -> list[int]:
    """One `UPDATE … WHERE <still due> RETURNING id` (PostgreSQL, SQLite ≥ 3.35).

    The condition is re-checked on the row itself, so of two concurrent claimers exactly one gets
    each row: PostgreSQL re-evaluates it after the other's commit, SQLite serialises writers.
    The statement's own RETURNING list is the only reliable way to know which rows were ours.
    """
    if not ids:
        return []
    qn = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"UPDATE {qn(OutgoingMessage._meta.db_table)} "
        f"SET {qn('status')} = %s, {qn('claimed_at')} = %s, {qn('last_attempt_at')} = %s, "
        f"{qn('lease_until')} = %s, "
        f"{qn('attempts')} = {qn('attempts')} + 1 "
        f"WHERE {qn('id')} IN ({', '.join(['%s'] * len(ids))}) AND ({qn('status')} = %s "
        f"OR ({qn('status')} = %s AND {qn('next_attempt_at')} <= %s)) "
        f"RETURNING {qn('id')}"
    )
    until = connection.ops.adapt_datetimefield_value(lease.lease_end(now))
    params = [Status.SENDING, stamp, stamp, until, *ids, Status.QUEUED, Status.RETRYING, stamp]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


# -- sending -------------------------------------------------------------------------------------


def plan(rows: list[OutgoingMessage]) -> dict[int, dict[TransportConfig | None, list]]:
    """Rows by store, then by the configuration they go out with (None: store not configured).

    Without SMTP user authentication each acting admin's credentials make a configuration of
    their own; otherwise a store has exactly one.
    """
    stores = {row.store_id for row in rows}
    saved = {s.store_id: s for s in NotificationSettings.objects.filter(store_id__in=stores)}
    grouped: dict[int, dict[TransportConfig | None, list]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        config = _config(saved.get(row.store_id), row)
        grouped[row.store_id][config].append(row)
    return grouped


def _config(store_settings: NotificationSettings | None, row: OutgoingMessage):
    if store_settings is None:
        return None
    username, password = credentials.decode(row.acting_credentials)
    config = config_from_settings(
        store_settings, acting_username=username, acting_password=password
    )
    if config.auth != "graph" and not config.host:  # Graph needs no SMTP server
        return None
    return config


async def send_all(grouped: dict[int, dict[TransportConfig | None, list]]) -> list[Outcome]:
    """Stores in parallel; within a store one configuration after the other."""
    per_store = await asyncio.gather(*(_send_store(groups) for groups in grouped.values()))
    return [outcome for outcomes in per_store for outcome in outcomes]


async def _send_store(groups: dict[TransportConfig | None, list]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for config, rows in groups.items():
        outcomes += await send_group(config, rows)
    return outcomes


async def send_group(config: TransportConfig | None, rows: list) -> list[Outcome]:
    """Up to MAIL_CONNECTIONS_PER_STORE connections, each taking the next row when free."""
    if config is None:
        error = TransportError(
            "No SMTP server is configured for this identity store.", permanent=True
        )
        return [Outcome(row, error=error) for row in rows]
    pending = deque(rows)
    outcomes: list[Outcome] = []
    lanes = min(settings.MAIL_CONNECTIONS_PER_STORE, len(rows))
    await asyncio.gather(*(_lane(config, pending, outcomes) for _ in range(lanes)))
    if pending:
        last = next(o.error for o in reversed(outcomes) if o.error)
        error = TransportError(
            f"Not attempted: the server failed the previous messages ({last.message})",
            permanent=False,
        )
        outcomes += [Outcome(row, error=error) for row in pending]
    return outcomes


async def _lane(config: TransportConfig, pending: deque, outcomes: list[Outcome]) -> None:
    """One connection: send rows until none is left or it failed too often in a row."""
    try:
        transport = get_transport(config)
    except TransportError as exc:
        while pending:
            outcomes.append(Outcome(pending.popleft(), error=exc))
        return
    failures = 0
    try:
        while pending and failures < MAX_CONSECUTIVE_FAILURES:
            outcome = await send_one(transport, pending.popleft())
            outcomes.append(outcome)
            failures = failures + 1 if outcome.error else 0
    finally:
        await _close(transport)


async def send_one(transport: Transport, row: OutgoingMessage) -> Outcome:
    try:
        message = render_message(row)
    except TransportError as exc:
        return Outcome(row, error=exc)
    except (ValueError, TypeError) as exc:  # e.g. text that is not valid Unicode
        error = TransportError(f"The message could not be built: {exc}", permanent=True)
        return Outcome(row, error=error)
    try:
        return Outcome(row, result=await transport.send_rendered(message))
    except TransportError as exc:
        return Outcome(row, error=exc)
    except Exception as exc:
        # A defect must not strand the row in "sending" until the sweeper: log it, retry later.
        log.exception("Outbox message %s: unexpected error while sending", row.pk)
        error = TransportError(f"Unexpected error ({type(exc).__name__}).", permanent=False)
        return Outcome(row, error=error)


async def _close(transport: Transport) -> None:
    try:
        await transport.close()
    except (TransportError, OSError) as exc:
        log.info("Closing a mail connection failed: %s", exc)


# -- recording -----------------------------------------------------------------------------------


def record(outcomes: list[Outcome], claimed_at: datetime) -> Retry | None:
    """Write every outcome, one UPDATE per distinct result; audit the rows that are dead.

    Rows of a batch mostly end alike (all sent with the same reply, or all failed the same way),
    so this is a handful of statements per batch. Hence one `sent_at` per batch (the moment the
    outcomes are recorded) and one jittered retry time per attempt count.
    """
    now = timezone.now()
    retry_at: dict[int, datetime] = {}
    groups: dict[tuple, list[OutgoingMessage]] = defaultdict(list)
    for outcome in outcomes:
        row = outcome.row
        if outcome.error is None:
            _mark_sent(row, outcome.result, now)
        elif outcome.error.permanent or row.attempts >= settings.MAIL_MAX_ATTEMPTS:
            mark_dead(row, describe(outcome.error, exhausted=not outcome.error.permanent))
        else:
            row.status = Status.RETRYING
            row.next_attempt_at = retry_at.setdefault(row.attempts, now + retry_delay(row.attempts))
            row.last_error = describe(outcome.error)
        groups[_written(row)].append(row)
    # Only rows still claimed by this run: a sweeper that took back a slow batch wins.
    ours = OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at=claimed_at)
    with transaction.atomic():
        for values, rows in groups.items():
            ours.filter(pk__in=[row.pk for row in rows]).update(**dict(values))
        audit_dead([o.row for o in outcomes if o.row.status == Status.DEAD])
    _log(outcomes)
    retrying = [o.row for o in outcomes if o.row.status == Status.RETRYING]
    if not retrying:
        return None
    return Retry([row.pk for row in retrying], max(retry_at.values()))


def _written(row: OutgoingMessage) -> tuple:
    """The (field, value) pairs the row's outcome writes, hashable to group equal outcomes."""
    fields = RETRY_FIELDS if row.status == Status.RETRYING else FINAL_FIELDS
    return tuple((name, getattr(row, name)) for name in fields)


def _mark_sent(row: OutgoingMessage, result: SendResult, now: datetime) -> None:
    row.status = Status.SENT
    row.sent_at = now
    row.server_reply = result.reply[:TEXT_LIMIT]
    refused = "; ".join(f"{addr}: {reply}" for addr, reply in result.refused.items())
    row.last_error = f"Refused recipients: {refused}"[:TEXT_LIMIT] if refused else ""
    row.acting_credentials = ""


def mark_dead(row: OutgoingMessage, reason: str) -> None:
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
