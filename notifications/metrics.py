"""Operators' metrics of the outbox, read from the database at scrape time.

Every web process answers a scrape with the same figures, because they are counted in the
database when Prometheus asks — not kept in one process's memory, which would differ between
workers and hosts and reset on restart. Only counts, ages, store ids and store names are
exported: nothing from a message or from the store's settings.

Two grouped queries per scrape (counts per store and status; the oldest waiting row and the
deferred rows per store), both served by the outbox's (store, status, created) index.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from identitystores.models import IdentityStore

from .delivery import lanes
from .models import OutgoingMessage

Status = OutgoingMessage.Status
STORE_LABELS = ["store_id", "store"]
# Not yet delivered nor given up: what an operator means by "the queue".
WAITING = (Status.QUEUED, Status.SENDING, Status.RETRYING, Status.HELD)


class OutboxCollector(Collector):
    """Queue depth, messages per state, the oldest waiting message and lane states per store."""

    def collect(self) -> Iterator[Metric]:
        stores = dict(IdentityStore.objects.order_by("pk").values_list("pk", "name"))
        yield _messages_by_status(stores)
        yield from _waiting(stores, timezone.now())
        yield _lane_states(stores)


def _labels(stores: dict[int, str], store_id: int) -> list[str]:
    return [str(store_id), stores.get(store_id, "")]


def _messages_by_status(stores: dict[int, str]) -> GaugeMetricFamily:
    counts = {
        (store_id, status): n
        for store_id, status, n in OutgoingMessage.objects.order_by()
        .values_list("store_id", "status")
        .annotate(n=Count("id"))
    }
    family = GaugeMetricFamily(
        "dirmgr_outbox_messages",
        "Outbox messages per store and status (queued, held, sending, retrying, sent, dead).",
        labels=[*STORE_LABELS, "status"],
    )
    for store_id in stores:
        for status in Status.values:
            family.add_metric(
                [*_labels(stores, store_id), status], counts.get((store_id, status), 0)
            )
    return family


def _waiting(stores: dict[int, str], now: datetime) -> Iterator[GaugeMetricFamily]:
    rows = {
        row["store_id"]: row
        for row in OutgoingMessage.objects.order_by()
        .filter(status__in=WAITING)
        .values("store_id")
        .annotate(
            depth=Count("id"),
            deferred=Count("id", filter=Q(next_attempt_at__gt=now)),
            oldest=Min("created"),
        )
    }
    depth = _store_gauge(
        "dirmgr_outbox_queue_depth",
        "Messages not yet delivered nor given up (queued, sending, retrying, held).",
    )
    deferred = _store_gauge(
        "dirmgr_outbox_deferred_messages",
        "Waiting messages whose next attempt is later (retry backoff or sending limits).",
    )
    oldest = _store_gauge(
        "dirmgr_outbox_oldest_waiting_age_seconds",
        "Age of the oldest waiting message; 0 when nothing waits.",
    )
    for store_id in stores:
        row = rows.get(store_id, {"depth": 0, "deferred": 0, "oldest": None})
        labels = _labels(stores, store_id)
        depth.add_metric(labels, row["depth"])
        deferred.add_metric(labels, row["deferred"])
        age = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        oldest.add_metric(labels, max(age, 0.0))
    yield from (depth, deferred, oldest)


def _store_gauge(name: str, documentation: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=STORE_LABELS)


def _lane_states(stores: dict[int, str]) -> GaugeMetricFamily:
    """1 for each store's current lane state ("open", "paced", "held", "deferred",
    "failover"), for the
    stores that have sending limits or a lane (see delivery/lanes.py)."""
    family = GaugeMetricFamily(
        "dirmgr_lane_state",
        "The sending lane state of each store (1 for the current state).",
        labels=[*STORE_LABELS, "state"],
    )
    for lane in sorted(lanes.lane_states(), key=lambda lane: lane.store_id):
        family.add_metric([*_labels(stores, lane.store_id), lane.state], 1)
    return family
