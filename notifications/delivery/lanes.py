"""Each store's send lane in words, and releasing a held lane.

`lane_states()` is the public view of every lane (the Outbox page, the metrics endpoint): its
shape is stable. States:

- open: sending as fast as connections go, no pacing in force;
- paced: a messages-a-minute limit applies (set, or learned from the server's replies);
- deferred: the daily recipient limit was reached, mail waits for the next window (00:00 UTC);
- held: the server refused our credentials; mail waits until an admin saves working
  credentials on the Notifications page or a Test Server of the saved settings succeeds;
- failover: the first SMTP server failed for the store's "Switch after" minutes, mail goes
  through the second (failover.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ..models import NotificationSettings, OutgoingMessage, SendLane
from .budget import Budget, budgets, epoch, limits, locked
from .learn import HELD_FOR

Status = OutgoingMessage.Status
WAITING = [Status.QUEUED, Status.RETRYING, Status.SENDING]


@dataclass(frozen=True)
class LaneState:
    """One store's lane: `state` is "open", "paced", "held", "deferred" or "failover"; `words`
    says it."""

    store_id: int
    state: str
    words: str
    waiting: int
    rate_per_minute: int | None
    next_window_at: datetime | None
    reason: str


def lane_states(store_ids: list[int] | None = None) -> list[LaneState]:
    """Lanes of the stores that have one or a sending limit (all, or those of `store_ids`)."""
    stores = _stores(store_ids)
    if not stores:
        return []
    found = budgets(stores)
    lanes = {lane.pk: lane for lane in SendLane.objects.filter(store_id__in=found)}
    counts = dict(
        OutgoingMessage.objects.filter(store_id__in=found, status__in=WAITING)
        .values("store_id")
        .annotate(n=Count("id"))
        .values_list("store_id", "n")
    )
    return [
        describe(store_id, found[store_id], lanes.get(store_id), counts.get(store_id, 0))
        for store_id in sorted(found)
    ]


def lane_state(store_id: int) -> LaneState:
    """One store's lane; a store without limits or a lane row is simply open."""
    found = lane_states([store_id])
    if found:
        return found[0]
    waiting = OutgoingMessage.objects.filter(store_id=store_id, status__in=WAITING).count()
    return describe(store_id, Budget(), None, waiting)


def _stores(store_ids: list[int] | None) -> set[int]:
    if store_ids is not None:
        return set(store_ids)
    laned = set(SendLane.objects.values_list("store_id", flat=True))
    limited = NotificationSettings.objects.exclude(
        max_connections=None,
        max_messages_per_minute=None,
        max_recipients_per_message=None,
        max_recipients_per_day=None,
    )
    return laned | set(limited.values_list("store_id", flat=True))


def describe(store_id: int, budget: Budget, lane: SendLane | None, waiting: int) -> LaneState:
    lane = lane or SendLane(store_id=store_id)
    now = time.time()
    found = limits(budget, lane)
    if lane.held_at is not None:
        at = timezone.localtime(lane.held_at).strftime("%H:%M")
        words = f"held: authentication refused at {at} ({lane.held_reply or 'no reply'})"
        return LaneState(store_id, "held", words, waiting, found.per_minute, None, lane.held_reason)
    if epoch(lane.deferred_until) > now:
        until = lane.deferred_until
        words = f"deferred until {until:%H:%M} UTC: {lane.deferred_reason}"
        return LaneState(
            store_id, "deferred", words, waiting, found.per_minute, until, lane.last_throttle
        )
    if lane.failover_since is not None:
        return _failover(lane, found.per_minute, waiting)
    following = max(epoch(lane.next_slot_at), epoch(lane.paused_until))
    next_at = lane.paused_until if epoch(lane.paused_until) == following else lane.next_slot_at
    if found.per_minute or following > now:
        words = _paced_words(found.per_minute, waiting, following - now)
        return LaneState(
            store_id, "paced", words, waiting, found.per_minute, next_at, lane.last_throttle
        )
    words = f"open, {_count(waiting)} waiting" if waiting else "open"
    return LaneState(store_id, "open", words, waiting, None, None, "")


def _failover(lane: SendLane, per_minute: int | None, waiting: int) -> LaneState:
    since = timezone.localtime(lane.failover_since).strftime("%H:%M")
    words = (
        f"sending through the second SMTP server {lane.failover_host} since {since}: "
        f"the first is {lane.first_failure}"
    )
    if waiting:
        words += f", {_count(waiting)} waiting"
    return LaneState(lane.store_id, "failover", words, waiting, per_minute, lane.probe_at, "")


def _paced_words(per_minute: int | None, waiting: int, seconds: float) -> str:
    rate = f"paced at {per_minute:,}/min" if per_minute else "paused by the server"
    parts = [rate, f"{_count(waiting)} waiting" if waiting else "nothing waiting"]
    if waiting and seconds > 0:
        parts.append(f"next window in {max(1, round(seconds))} s")
    return ", ".join(parts)


def _count(n: int) -> str:
    return f"{n:,}"


def release(store_id: int) -> list[int]:
    """Release a held lane: its rows are due now. Returns their ids, to dispatch after commit."""
    if not SendLane.objects.filter(pk=store_id, held_at__isnull=False).exists():
        return []
    now = timezone.now()
    with transaction.atomic(), locked(store_id) as lane:
        lane.held_at = None
        lane.held_reason = lane.held_reply = ""
        held = OutgoingMessage.objects.filter(
            store_id=store_id,
            status__in=[Status.QUEUED, Status.RETRYING],
            next_attempt_at__gt=now + HELD_FOR / 2,
        )
        ids = list(held.values_list("pk", flat=True))
        held.filter(pk__in=ids).update(next_attempt_at=now, last_error="")
    return ids
