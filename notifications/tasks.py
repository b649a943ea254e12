"""Celery tasks of the `mail` queue (routes in settings.CELERY_TASK_ROUTES), and `dispatch`, which
hands committed outbox rows to them.

Payloads are row ids only (JSON). Both tasks are safe to run twice: rows are claimed atomically,
so a duplicate task finds nothing left to send. This module imports only what the workers run
(delivery); the outbox imports it to dispatch, never the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from celery import shared_task
from django.conf import settings as django_settings

from core.chunks import chunks
from core.queueing import broker_paused, queue_task

from . import delivery

# The "Broker unavailable" warning is about outbox rows: operators find it under the outbox's name.
log = logging.getLogger("notifications.outbox")


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver(ids: list[int]) -> int:
    """Send the due rows among `ids`; rows that failed transiently come back at their retry time,
    rows their store's send lane kept back when it opens again."""
    for retry in delivery.deliver(ids):
        dispatch(retry.ids, eta=retry.eta)
    return len(ids)


@shared_task(name="notifications.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Beat job: re-enqueue rows whose task was lost (broker outage, dead worker), and purge
    rows deleted longer ago than they can be restored."""
    delivery.purge_deleted()
    ids = delivery.sweep()
    if ids:
        dispatch(ids)
    return len(ids)


def dispatch(ids: Sequence[int], *, eta: datetime | None = None) -> bool:
    """Hand committed row ids to the `mail` queue, MAIL_TASK_BATCH_SIZE ids per task.

    Returns False when the broker is unreachable: the rows stay in the outbox and the sweeper
    (notifications.delivery.sweeper) enqueues them once it is back, so the caller's change still
    stands.
    """
    for chunk in chunks(ids, django_settings.MAIL_TASK_BATCH_SIZE):
        paused = broker_paused()
        if not queue_task(deliver, chunk, eta=eta):
            # Once per outage: while the broker is paused every change would say it again.
            level = logging.DEBUG if paused else logging.WARNING
            log.log(level, "Broker unavailable: %d outbox rows wait for the sweeper", len(ids))
            return False
    return True
