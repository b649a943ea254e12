"""Cron fields in the admin's words: the checks behind the Schedules form, a summary in words
(cron-descriptor) and the next run times.

The next runs come from celery's own crontab, built by django-celery-beat's CrontabSchedule — the
very code beat decides with — so the page cannot promise a time beat would not keep. (Unlike
classic cron, celery runs only on days that match both the day of month and the day of week.)
Library messages such as "Invalid weekday literal 'abc'" never reach the page: each field has
one plain sentence saying what it takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from celery.schedules import ParseException, crontab
from cron_descriptor import ExpressionDescriptor, FormatException, Options, WrongArgumentException
from django_celery_beat.models import CrontabSchedule

# Cron's own order, as the page shows them.
CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
RUNS_SHOWN = 3
NUMBERS = re.compile(r"[0-9*,/-]+")
WEEKDAYS = re.compile(r"[0-9a-z*,/-]+")  # also mon-fri, as django-celery-beat documents
FIELD_RULES = {
    "minute": "Minute must be 0–59, a list like 0,30, a range like 0-29, a step like */15 or *.",
    "hour": "Hour must be 0–23, a list like 8,12, a range like 8-17 or *.",
    "day_of_month": "Day of month must be 1–31, a list like 1,15, a range like 1-7 or *.",
    "month_of_year": "Month must be 1–12, a list like 1,7, a range like 1-3 or *.",
    "day_of_week": (
        "Day of week must be 0–6 (Sunday = 0) or mon–sun, a list like 1,3, a range like 1-5 or *."
    ),
}
NEVER = "This day of month never comes in the chosen months, so the job would never run."


@dataclass
class Preview:
    """What the page says about a schedule: a summary, the next runs, or what to fix first."""

    summary: str = ""
    runs: list[datetime] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    enabled: bool = True


def field_error(name: str, value: str) -> str | None:
    """The plain sentence for a value celery's crontab would refuse (or misread), else None."""
    pattern = WEEKDAYS if name == "day_of_week" else NUMBERS
    if not pattern.fullmatch(value.lower()):
        return FIELD_RULES[name]
    try:
        crontab(**{name: value.lower()})
    except (ValueError, ParseException):
        return FIELD_RULES[name]
    return None


def schedule_error(cron: dict[str, str]) -> str | None:
    """Fields that are each fine but never meet, such as 31 February."""
    try:
        crontab(**cron)
    except (ValueError, ParseException):
        return NEVER
    return None


def summary(cron: dict[str, str]) -> str:
    """ "At 07:30, Monday through Friday"; the cron line itself if cron-descriptor cannot say it."""
    expression = " ".join(cron[name] for name in CRON_FIELDS)
    options = Options()
    options.use_24hour_time_format = True
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except (FormatException, WrongArgumentException):
        return f"Cron schedule {expression}"
    if all(cron[name] == "*" for name in CRON_FIELDS[2:]):
        text += ", every day"
    return text


def next_runs(cron: dict[str, str], time_zone: str, after: datetime) -> list[datetime]:
    """The next RUNS_SHOWN times beat runs this crontab after `after`, in the store's zone."""
    schedule = CrontabSchedule(timezone=ZoneInfo(time_zone), **cron).schedule
    runs: list[datetime] = []
    moment = after
    for _ in range(RUNS_SHOWN):
        start, delta, _now = schedule.remaining_delta(moment)
        moment = start + delta
        runs.append(moment)
    return runs


def preview(cron: dict[str, str], time_zone: str, after: datetime, enabled: bool) -> Preview:
    runs = next_runs(cron, time_zone, after) if enabled else []
    return Preview(summary=summary(cron), runs=runs, enabled=enabled)
