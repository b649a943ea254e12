"""Celery tasks of the `mail` queue (routes in settings.CELERY_TASK_ROUTES).

Payloads are row ids only (JSON). Both tasks are safe to run twice: rows are claimed atomically,
so a duplicate task finds nothing left to send.
"""

from __future__ import annotations

from celery import shared_task

from . import delivery, sweeper
from .outbox import dispatch


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver(ids: list[int]) -> int:
    """Send the due rows among `ids`; rows that failed transiently come back at their retry time."""
    retry = delivery.deliver(ids)
    if retry is not None:
        dispatch(retry.ids, eta=retry.eta)
    return len(ids)


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Beat job: re-enqueue rows whose task was lost (broker outage, dead worker)."""
    ids = sweeper.sweep()
    if ids:
        dispatch(ids)
    return len(ids)
