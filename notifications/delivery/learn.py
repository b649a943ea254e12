"""Settling a sent batch with its store's lane: connections back, unused recipients refunded, and
what the server's replies teach — slow down, wait for the next day, or hold the store's mail.

Throttling is a signal, not a failure: the lane backs off (fewer connections, fewer messages a
minute, fewer recipients a message) and creeps back up by one step each clean minute (AIMD),
never above the store's budget. Rows that met a signal, or were never tried, go back to the
queue without using up an attempt.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Value, When

from ..models import OutgoingMessage, SendLane
from .budget import Budget, Waiting, budgets, day_start, epoch, limits, locked, minute, recipients
from .budget import stamp as to_datetime
from .pacing import Grant
from .send import Outcome
from .signals import THROTTLES, Signal

Status = OutgoingMessage.Status
HELD_FOR = timedelta(days=36500)  # a held row is due only when its lane is released
DECREASE = 0.8  # multiplicative decrease of a learned rate after another throttle


def longest_eta() -> timedelta:
    """How far ahead a task may be queued: the longest retry delay, below the visibility timeout."""
    return timedelta(seconds=settings.MAIL_RETRY_MAX_SECONDS)


@dataclass(frozen=True)
class Requeued:
    ids: list[int]
    eta: datetime


def settle(
    grants: dict[int, Grant], outcomes: list[Outcome]
) -> tuple[list[Outcome], list[Waiting]]:
    """Tell each store's lane how its batch went. Returns the outcomes to record as usual and
    the rows that wait for their lane (signalled, or untried because of a signal)."""
    by_store: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_store[outcome.row.store_id].append(outcome)
    noteworthy = {store_id for store_id, grant in grants.items() if grant.noteworthy}
    found = budgets(noteworthy) if noteworthy else {}
    recorded: list[Outcome] = []
    waiting: list[Waiting] = []
    for store_id, store_outcomes in by_store.items():
        grant = grants.get(store_id)
        if grant is None or store_id not in noteworthy:
            recorded += store_outcomes
            continue
        stopped = grant.signal is not None or grant.refused_connections > 0
        lane_rows = [o for o in store_outcomes if o.signal or (not o.tried and stopped)]
        waits = {id(o) for o in lane_rows}
        recorded += [o for o in store_outcomes if id(o) not in waits]
        with locked(store_id) as lane:
            _settle_store(lane, found.get(store_id, Budget()), grant, store_outcomes)
            until = _resume_at(lane, grant)
        if lane_rows:
            waiting.append(Waiting([o.row for o in lane_rows], until, _note(grant)))
    return recorded, waiting


def _settle_store(lane: SendLane, budget: Budget, grant: Grant, outcomes: list[Outcome]) -> None:
    now = time.time()
    lane.connections = [c for c in lane.connections if c[0] != grant.token and c[2] > now]
    if grant.planned:  # when messages really went, not when they were planned to
        planned = set(grant.planned)
        lane.recent = sorted([t for t in lane.recent if t not in planned] + grant.accepted)
    if grant.token:  # this batch was charged its recipients at admission: refund the unsent
        unsent = sum(recipients(o.row) for o in outcomes if o.error is not None)
        lane.day_recipients = max(0, lane.day_recipients - unsent)
    if grant.learned_per_message:
        lane.learned_per_message = _lower(lane.learned_per_message, grant.learned_per_message)
        lane.changed_at = to_datetime(now)
    if grant.refused_connections:
        _fewer_connections(lane, budget, grant, now)
    if grant.signal is not None:
        largest = max((recipients(o.row) for o in outcomes if o.signal), default=2)
        _apply(lane, budget, grant, now, largest)
    elif not grant.learned_per_message and any(o.error is None for o in outcomes):
        _creep_up(lane, budget, now)


def _fewer_connections(lane: SendLane, budget: Budget, grant: Grant, now: float) -> None:
    """432 4.3.2: one connection too many. Use as many as worked, at least one, and pause a
    moment when none did (another host holds them)."""
    worked = grant.connections - grant.refused_connections
    current = limits(budget, lane).connections
    lane.learned_connections = max(1, worked if worked > 0 else current - 1)
    if worked <= 0:
        lane.paused_until = to_datetime(now + minute() / 12)
    _throttled(lane, grant, now, grant.refused_connections)


def _apply(lane: SendLane, budget: Budget, grant: Grant, now: float, largest: int) -> None:
    """What the first signal of the batch teaches; `largest` is the most recipients a
    signalled message had (a 452 for every recipient halves from there)."""
    signal, error = grant.signal, grant.error
    reply = (error.reply or error.message)[:200] if error else ""
    if signal is Signal.AUTH:
        lane.held_at = to_datetime(now)
        lane.held_reason = error.message[:500] if error else "The server refused our credentials."
        lane.held_reply = _code(reply)
    elif signal is Signal.QUOTA:
        lane.deferred_until = to_datetime(day_start(now) + 1440 * minute())
        lane.deferred_reason = "daily recipient limit"
        lane.last_throttle = reply
    elif signal is Signal.RATE:
        current = limits(budget, lane).per_minute
        accepted = sum(1 for t in grant.accepted if t > now - minute())
        lane.learned_per_minute = max(1, int(current * DECREASE) if current else accepted)
        lane.paused_until = to_datetime(now + minute())
        lane.recent = []
        _throttled(lane, grant, now, 1)
    elif signal is Signal.RECIPIENTS:
        current = limits(budget, lane).per_message or largest
        lane.learned_per_message = max(1, current // 2)
        _throttled(lane, grant, now, 1)


def _throttled(lane: SendLane, grant: Grant, now: float, replies: int) -> None:
    lane.throttle_replies += replies
    lane.changed_at = to_datetime(now)
    if grant.error is not None:
        lane.last_throttle = (grant.error.reply or grant.error.message)[:200]


def _creep_up(lane: SendLane, budget: Budget, now: float) -> None:
    """After a clean minute, one step back towards the budget (or no limit at all)."""
    if now - epoch(lane.changed_at) < minute():
        return
    if lane.learned_per_minute:
        raised = lane.learned_per_minute + max(1, lane.learned_per_minute // 10)
        lane.learned_per_minute = _unless_reached(raised, budget.per_minute)
    if lane.learned_connections:
        ceiling = budget.connections or settings.MAIL_CONNECTIONS_PER_STORE
        lane.learned_connections = _unless_reached(lane.learned_connections + 1, ceiling)
    if lane.learned_per_message:
        raised = lane.learned_per_message + max(1, lane.learned_per_message // 10)
        lane.learned_per_message = _unless_reached(raised, budget.per_message)
    lane.changed_at = to_datetime(now)


def _unless_reached(value: int, ceiling: int | None) -> int | None:
    return None if ceiling is not None and value >= ceiling else value


def _lower(a: int | None, b: int | None) -> int | None:
    return min(a, b) if a and b else (a or b)


def _resume_at(lane: SendLane, grant: Grant) -> datetime | None:
    if lane.held_at is not None:
        return None
    if grant.signal is Signal.QUOTA and lane.deferred_until is not None:
        return lane.deferred_until
    moments = [lane.paused_until, lane.next_slot_at, to_datetime(time.time())]
    return max(m for m in moments if m is not None)


def _note(grant: Grant) -> str:
    error = grant.error
    reply = (error.reply or error.message) if error else ""
    if grant.signal is Signal.AUTH:
        hint = f" {error.hint}" if error and error.hint else ""
        return f"Held: the server refused our credentials ({_code(reply)}).{hint}"[:500]
    if grant.signal is Signal.QUOTA:
        return f"Deferred to the next day: daily recipient limit ({_code(reply)})."
    if grant.signal in THROTTLES or grant.refused_connections:
        return f"Waiting: the server asked us to slow down ({_code(reply)})."
    return ""


def _code(reply: str) -> str:
    """ "535 5.7.139 Authentication unsuccessful…" → "535 5.7.139"."""
    words = reply.split()
    return " ".join(words[:2]) if len(words) >= 2 and words[0].isdigit() else reply[:60]


# -- back to the queue -------------------------------------------------------------------------


def requeue(waiting: list[Waiting], claimed_at: datetime) -> list[Requeued]:
    """Waiting rows go back to the queue with their attempt refunded, due when their lane
    resumes (held rows only when the lane is released). Only rows this run still holds."""
    ours = OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at=claimed_at)
    now = to_datetime(time.time())
    due: list[Requeued] = []
    for wait in waiting:
        ids = [row.pk for row in wait.rows]
        values = dict(
            status=Case(
                When(attempts__lte=1, then=Value(Status.QUEUED)), default=Value(Status.RETRYING)
            ),
            attempts=F("attempts") - 1,
            next_attempt_at=wait.until or now + HELD_FOR,
            lease_until=None,
        )
        if wait.note:
            values["last_error"] = wait.note
        ours.filter(pk__in=ids).update(**values)
        # A task queued hours ahead would outlive the broker's visibility timeout and come
        # back early and often; the sweeper enqueues such rows once they are due.
        if wait.until is not None and wait.until - now <= longest_eta():
            due.append(Requeued(ids, wait.until))
    return due
