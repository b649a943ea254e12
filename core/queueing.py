"""Queueing a Celery task from a web request, where the broker may be down or hung.

The settings bound every broker connect and command (BROKER_TIMEOUT_SECONDS) and try a publish
twice, so a dead or silent broker costs the request a couple of seconds, not minutes. The caller
learns whether the task was queued and tells the admin in plain words instead of answering 500.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import Task
from kombu.exceptions import KombuError

log = logging.getLogger(__name__)

BROKER_UNREACHABLE = "the task queue (Celery broker) cannot be reached"


def queue_task(task: Task, *args: object, eta: datetime | None = None) -> bool:
    """Send `task(*args)` to its queue; False (logged, nothing raised) when the broker fails."""
    try:
        task.apply_async(args, eta=eta)
    except (KombuError, OSError) as exc:
        log.warning("Task %s%r not queued, broker unreachable: %s", task.name, args, exc)
        return False
    return True
