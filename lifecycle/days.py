"""A store's calendar: "today" and the start of a day are the store's, DST included.

Jobs take `now` (an aware datetime) from their caller, so tests and reruns control the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from identitystores.models import IdentityStore


def zone(store: IdentityStore) -> ZoneInfo:
    return ZoneInfo(store.time_zone)


def current(now: datetime | None) -> datetime:
    """`now` if given (must be aware), else the current time."""
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime")
    return now


def today(store: IdentityStore, now: datetime) -> date:
    """The store's calendar date at `now`."""
    return now.astimezone(zone(store)).date()


def day_start(store: IdentityStore, day: date) -> datetime:
    """The first instant of `day` in the store's time zone (23, 24 or 25 hours before the next)."""
    return datetime.combine(day, time.min, tzinfo=zone(store))


def days_after(day: date, count: int) -> date:
    return day + timedelta(days=count)
