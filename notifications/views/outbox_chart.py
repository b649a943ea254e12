"""Sent / retried / failed messages per day for the Outbox page, drawn as server-side SVG bars.

"Retried" counts messages that needed more than one attempt and are not dead (sent late, or still
retrying); "Sent" those accepted at the first attempt; "Failed" the dead ones. Days are the
store's own calendar days.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from identitystores.models import IdentityStore

from ..models import OutgoingMessage

Status = OutgoingMessage.Status
SERIES = (
    ("sent", "Sent", "#1d7a46"),
    ("retried", "Retried", "#e0a800"),
    ("dead", "Failed", "#b42318"),
)
BAR_WIDTH, GAP, HEIGHT = 28, 10, 120


@dataclass
class Bar:
    x: int
    y: float
    height: float
    color: str
    title: str


@dataclass
class Chart:
    days: list[tuple[date, dict[str, int]]]
    bars: list[Bar]
    labels: list[tuple[int, date]]
    width: int
    height: int = HEIGHT
    bar_width: int = BAR_WIDTH
    series: tuple = SERIES

    @property
    def total(self) -> int:
        return sum(sum(counts.values()) for _, counts in self.days)


def daily_counts(store: IdentityStore, days: int = 14, today: date | None = None):
    tz = zoneinfo.ZoneInfo(store.time_zone)
    today = today or timezone.localdate(timezone=tz)
    start = today - timedelta(days=days - 1)
    rows = (
        store.outbox.filter(created__date__gte=start - timedelta(days=1))
        .exclude(status=Status.DELETED)
        .annotate(day=TruncDate("created", tzinfo=tz))
        .values("day")
        .annotate(
            sent=Count("id", filter=Q(status=Status.SENT, attempts__lte=1)),
            retried=Count("id", filter=Q(attempts__gt=1) & ~Q(status=Status.DEAD)),
            dead=Count("id", filter=Q(status=Status.DEAD)),
        )
    )
    found = {row["day"]: row for row in rows}
    empty = {key: 0 for key, _, _ in SERIES}
    result = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = found.get(day)
        result.append((day, {k: row[k] for k in empty} if row else dict(empty)))
    return result


def chart(store: IdentityStore, days: int = 14, today: date | None = None) -> Chart:
    counts = daily_counts(store, days, today)
    peak = max((sum(c.values()) for _, c in counts), default=0) or 1
    bars: list[Bar] = []
    for index, (day, values) in enumerate(counts):
        x = index * (BAR_WIDTH + GAP)
        y = float(HEIGHT)
        for key, label, color in SERIES:
            height = values[key] / peak * (HEIGHT - 10)
            if values[key]:
                y -= height
                bars.append(
                    Bar(
                        x,
                        round(y, 1),
                        round(height, 1),
                        color,
                        f"{day:%b %d}: {values[key]} {label.lower()}",
                    )
                )
    labels = [(index * (BAR_WIDTH + GAP), day) for index, (day, _) in enumerate(counts)]
    return Chart(days=counts, bars=bars, labels=labels, width=days * (BAR_WIDTH + GAP))
