"""The Celery task beat runs for each store's life-cycle schedules (lifecycle/schedules.py)."""

from __future__ import annotations

from celery import shared_task

from identitystores.models import IdentityStore

from .jobs import run_job, summary


@shared_task(name="lifecycle.run_scheduled_job", ignore_result=True)
def run_scheduled_job(store_id: int, job: str) -> str:
    """Run one job for one enabled store. Safe to run twice (each item is claimed once)."""
    store = IdentityStore.objects.filter(pk=store_id, enabled=True).first()
    if store is None:
        return f"store {store_id} is gone or disabled"
    return summary(run_job(store, job))
