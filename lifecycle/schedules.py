"""Each store's life-cycle schedules: one django-celery-beat PeriodicTask per store and job, on a
crontab in the store's time zone (so "01:00" is 01:00 at the store, summer and winter).

Every store gets the default schedules when it is created (and the crontabs follow a change of
its time zone); the Schedules page edits them. Beat (DatabaseScheduler) picks up changes itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from identitystores.models import IdentityStore

from .cron import CRON_FIELDS
from .jobs import JOBS, MANAGED_BY, MEMBERSHIP, PASSWORD_EXPIRY
from .models import JobRun

TASK = "lifecycle.run_scheduled_job"
DEFAULTS = {
    MEMBERSHIP: {"minute": "0", "hour": "1"},
    MANAGED_BY: {"minute": "15", "hour": "1"},
    PASSWORD_EXPIRY: {"minute": "0", "hour": "6"},
}
EVERY = {"day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}


@dataclass
class Schedule:
    job: str
    label: str
    task: PeriodicTask
    last_run: JobRun | None

    @property
    def cron(self) -> dict[str, str]:
        return {name: getattr(self.task.crontab, name) for name in CRON_FIELDS}


def jobs_for(store: IdentityStore) -> list[str]:
    """The jobs a store has: no password-expiry group in Microsoft Entra ID stores."""
    return [j for j in JOBS if j != PASSWORD_EXPIRY or store.supports_password_expiry]


def task_name(store: IdentityStore, job: str) -> str:
    return f"lifecycle:{store.pk}:{job}"


def schedules(store: IdentityStore) -> list[Schedule]:
    ensure_schedules(store)
    tasks = {
        t.name: t
        for t in PeriodicTask.objects.select_related("crontab").filter(
            name__startswith=f"lifecycle:{store.pk}:"
        )
    }
    return [
        Schedule(
            job,
            JOBS[job][0],
            tasks[task_name(store, job)],
            JobRun.objects.filter(store=store, job=job).first(),
        )
        for job in jobs_for(store)
    ]


@transaction.atomic
def ensure_schedules(store: IdentityStore) -> None:
    """Create missing default schedules; keep every crontab in the store's time zone."""
    for job in jobs_for(store):
        task = PeriodicTask.objects.select_related("crontab").filter(name=task_name(store, job))
        task = task.first()
        if task is None:
            save_schedule(store, job, enabled=True, **EVERY, **DEFAULTS[job])
        elif str(task.crontab.timezone) != store.time_zone:
            cron = {name: getattr(task.crontab, name) for name in CRON_FIELDS}
            save_schedule(store, job, enabled=task.enabled, **cron)


@transaction.atomic
def save_schedule(store: IdentityStore, job: str, *, enabled: bool, **cron: str) -> PeriodicTask:
    crontab, _ = CrontabSchedule.objects.get_or_create(timezone=store.time_zone, **cron)
    task, _ = PeriodicTask.objects.update_or_create(
        name=task_name(store, job),
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps({"store_id": store.pk, "job": job}),
            "enabled": enabled,
            "description": f"{JOBS[job][0]} of {store.name}",
        },
    )
    return task


def delete_schedules(store_id: int) -> None:
    PeriodicTask.objects.filter(name__startswith=f"lifecycle:{store_id}:").delete()
