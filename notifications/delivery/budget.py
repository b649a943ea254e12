"""The database side of send lanes: admitting claimed rows into a store's budget, and settling
what the server said afterwards.

Every change to a `SendLane` row happens in a transaction whose first statement updates that
row, so it holds the row's write lock (PostgreSQL) or the database's (SQLite) while it reads and
writes: workers on any host never hand out the same connection, minute or recipients. A store
with no sending limits and no lane row costs one small query per batch and nothing else.

Time is counted in lane minutes (DIRMGR_LANE_MINUTE_SECONDS, 60 s): a day is 1,440 of them,
starting at 00:00 UTC.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef

from ..models import NotificationSettings, OutgoingMessage, SendLane, split_addresses
from .pacing import Grant

BUDGET_FIELDS = (
    "max_connections",
    "max_messages_per_minute",
    "max_recipients_per_message",
    "max_recipients_per_day",
)
MARGIN = 0.02  # of a minute added to each window: clocks and sends are never exact
SLACK = 0.05  # seconds added too: a message starts a little after its start time
RECENT_CAP = 2000  # start times kept per lane; a higher per-minute budget paces evenly beyond


@dataclass(frozen=True)
class Budget:
    """A store's sending limits as set on its Notifications page; None: no limit."""

    connections: int | None = None
    per_minute: int | None = None
    per_message: int | None = None
    per_day: int | None = None


@dataclass(frozen=True)
class Limits:
    """The limits in force: the budget, lowered by what the lane learned from replies."""

    connections: int
    per_minute: int | None
    per_message: int | None
    per_day: int | None


@dataclass
class Waiting:
    """Claimed rows that go back to the queue untried, until `until` (None: held)."""

    rows: list[OutgoingMessage]
    until: datetime | None
    note: str = ""


@dataclass
class Admission:
    sending: list[OutgoingMessage]
    grants: dict[int, Grant]
    waiting: list[Waiting]


def minute() -> float:
    return settings.DIRMGR_LANE_MINUTE_SECONDS


def stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def epoch(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def day_start(now: float) -> float:
    day = 1440 * minute()
    return math.floor(now / day) * day


def recipients(row: OutgoingMessage) -> int:
    return len(set(split_addresses(row.to) + split_addresses(row.cc) + split_addresses(row.bcc)))


def limits(budget: Budget, lane: SendLane) -> Limits:
    return Limits(
        connections=_lower(budget.connections, lane.learned_connections)
        or settings.MAIL_CONNECTIONS_PER_STORE,
        per_minute=_lower(budget.per_minute, lane.learned_per_minute),
        per_message=_lower(budget.per_message, lane.learned_per_message),
        per_day=budget.per_day,
    )


def _lower(a: int | None, b: int | None) -> int | None:
    return min(a, b) if a and b else (a or b)


def settings_of(store_ids: set[int]) -> dict[int, NotificationSettings]:
    """The stores' saved settings, each marked `has_lane`: the one query a batch needs for both
    its lanes and its plan (send.plan)."""
    lanes = SendLane.objects.filter(store_id=OuterRef("store_id"))
    found = NotificationSettings.objects.filter(store_id__in=store_ids).annotate(
        has_lane=Exists(lanes)
    )
    return {saved.store_id: saved for saved in found}


def limited(saved: NotificationSettings) -> bool:
    """Whether the store's mail goes through its lane: it has limits, or met a server's."""
    return saved.has_lane or any(getattr(saved, name) for name in BUDGET_FIELDS)


def budget_of(saved: NotificationSettings) -> Budget:
    return Budget(*(getattr(saved, name) for name in BUDGET_FIELDS))


def budgets(store_ids: set[int]) -> dict[int, Budget]:
    """Stores among `store_ids` that have limits or a lane row, with their budget: one query."""
    found = (
        NotificationSettings.objects.filter(store_id__in=store_ids)
        .annotate(lane=Exists(SendLane.objects.filter(store_id=OuterRef("store_id"))))
        .values_list("store_id", "lane", *BUDGET_FIELDS)
    )
    return {
        store_id: Budget(*limit_values)
        for store_id, lane, *limit_values in found
        if lane or any(limit_values)
    }


@contextmanager
def locked(store_id: int) -> Iterator[SendLane]:
    """The store's lane, created if missing, write-locked until the block ends (then saved)."""
    with transaction.atomic():
        if not SendLane.objects.filter(pk=store_id).update(version=F("version") + 1):
            try:
                with transaction.atomic():
                    SendLane.objects.create(store_id=store_id)
            except IntegrityError:  # another worker created it first: lock theirs
                SendLane.objects.filter(pk=store_id).update(version=F("version") + 1)
        lane = SendLane.objects.get(pk=store_id)
        yield lane
        lane.save()


# -- admitting ------------------------------------------------------------------------------------


def admit(rows: list[OutgoingMessage], saved: dict[int, NotificationSettings]) -> Admission:
    """Split claimed rows into what may be sent now (with a grant per store) and what waits.
    `saved`: settings_of() the rows' stores."""
    found = {
        store_id: budget_of(store_settings)
        for store_id, store_settings in saved.items()
        if limited(store_settings)
    }
    if not found:
        return Admission(sending=rows, grants={}, waiting=[])  # the cheap path: no lanes
    admission = Admission(sending=[], grants={}, waiting=[])
    by_store: dict[int, list[OutgoingMessage]] = {}
    for row in rows:
        if row.store_id in found:
            by_store.setdefault(row.store_id, []).append(row)
        else:
            admission.sending.append(row)
    for store_id, store_rows in by_store.items():
        with locked(store_id) as lane:
            grant, sending, waiting = _admit_store(lane, found[store_id], store_rows)
        if grant is not None:
            admission.grants[store_id] = grant
        admission.sending += sending
        if waiting is not None:
            admission.waiting.append(waiting)
    return admission


def _admit_store(lane: SendLane, budget: Budget, rows: list[OutgoingMessage]):
    """(grant or None, rows to send now, Waiting or None) for one store's claimed rows."""
    now = time.time()
    _roll_day(lane, now)
    if lane.held_at is not None:
        return None, [], Waiting(rows, None)
    if epoch(lane.deferred_until) > now:
        return None, [], Waiting(rows, lane.deferred_until)
    found = limits(budget, lane)
    live = [c for c in lane.connections if c[2] > now]
    free = found.connections - len(live)
    if free <= 0:
        # Free when the holder's last start time passed (unpaced: soon, a 60th of a minute).
        soon = now + min(1.0, minute() / 60)
        return None, [], Waiting(rows, stamp(max(min(c[1] for c in live), soon)))
    starts, admitted, day_full = _schedule(lane, found, rows, now)
    waiting = _rest(lane, rows[len(admitted) :], day_full, now)
    if not admitted:
        return None, [], waiting
    grant = Grant(
        connections=min(free, len(admitted)),
        starts=deque(starts) if found.per_minute else None,
        per_message=found.per_message,
        token=uuid.uuid4().hex,
        planned=tuple(starts),
    )
    free_at = starts[-1] if starts else now
    lease = free_at + settings.MAIL_SENDING_STALE_SECONDS
    lane.connections = live + [[grant.token, free_at, lease]] * grant.connections
    return grant, admitted, waiting


def _rest(lane: SendLane, rest: list[OutgoingMessage], day_full: bool, now: float):
    """Rows not admitted wait for the lane's next start time, or for tomorrow."""
    if not rest:
        return None
    if day_full:
        lane.deferred_until = stamp(day_start(now) + 1440 * minute())
        lane.deferred_reason = "daily recipient limit"
        return Waiting(rest, lane.deferred_until)
    return Waiting(rest, lane.next_slot_at or stamp(now))


def _schedule(lane: SendLane, found: Limits, rows: list[OutgoingMessage], now: float):
    """Start times for the rows that may go within the horizon: at most `per_minute` messages
    in any minute (a message of more recipients than `per_message` is several), and at most
    `per_day` recipients a day. Returns (start times, rows admitted, whether the day is full)."""
    window = minute() * (1 + MARGIN) + SLACK
    horizon = now + min(0.25 * minute(), 5.0)
    recent = [t for t in lane.recent if t > now - window]
    cursor = max(now, epoch(lane.paused_until))
    starts: list[float] = []
    admitted: list[OutgoingMessage] = []
    day_full = False
    for row in rows:
        count = recipients(row)
        if found.per_day and lane.day_recipients and lane.day_recipients + count > found.per_day:
            day_full = True
            break
        parts = math.ceil(count / found.per_message) if found.per_message else 1
        times = [
            cursor := _next_start(recent, cursor, found.per_minute, window) for _ in range(parts)
        ]
        if times[0] > horizon:  # a later batch takes it: give its start times back
            if found.per_minute:
                del recent[len(recent) - parts :]
            cursor = times[0]
            break
        starts += times
        admitted.append(row)
        lane.day_recipients += count
    lane.recent = recent[-RECENT_CAP:]
    following = _next_start(recent, cursor, found.per_minute, window, keep=False)
    lane.next_slot_at = stamp(following)
    return starts, admitted, day_full


def _next_start(
    recent: list[float], cursor: float, per_minute: int | None, window: float, keep: bool = True
) -> float:
    """The earliest start at or after `cursor` that keeps `per_minute` in every window; it is
    appended to `recent` unless `keep` is False."""
    start = cursor
    if per_minute and len(recent) >= per_minute:
        start = max(start, recent[-per_minute] + window)
    elif per_minute and len(recent) >= RECENT_CAP:
        start = max(start, recent[-1] + window / per_minute)
    if keep and per_minute:
        recent.append(start)
    return start


def _roll_day(lane: SendLane, now: float) -> None:
    today = day_start(now)
    if epoch(lane.day_start) != today:
        lane.day_start = stamp(today)
        lane.day_recipients = 0
    if lane.deferred_until is not None and epoch(lane.deferred_until) <= now:
        lane.deferred_until = None
        lane.deferred_reason = ""
