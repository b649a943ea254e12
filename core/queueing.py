"""Queueing a Celery task from a web request, where the broker may be down or hung.

The settings bound every broker connect and command (BROKER_TIMEOUT_SECONDS) and try a publish
twice, so a dead or silent broker costs a publish a couple of seconds, not minutes. Once a
publish failed, the process stops trying for BROKER_PAUSE_SECONDS (a circuit breaker shared by
every thread): a 500-change import with the broker down pays the timeout once, not 500 times.
Nothing is lost by skipping: outbox rows stay committed and the sweeper queues them when the
broker is back. The caller learns whether the task was queued and tells the admin in plain words
instead of answering 500.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from celery import Task
from django.conf import settings
from kombu.exceptions import KombuError

log = logging.getLogger(__name__)

BROKER_UNREACHABLE = "the task queue (Celery broker) cannot be reached"


class BrokerBreaker:
    """Open (no publishing) for `pause` seconds after a failed publish, then one try again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until = 0.0
        self.tripped = False  # a publish failed and none succeeded since

    def is_open(self) -> bool:
        with self._lock:
            return time.monotonic() < self._open_until

    def trip(self, pause: float) -> None:
        with self._lock:
            self._open_until = time.monotonic() + pause
            self.tripped = True

    def reset(self) -> bool:
        """Close the breaker; True when it had tripped (the broker is back)."""
        with self._lock:
            was_tripped, self.tripped, self._open_until = self.tripped, False, 0.0
            return was_tripped


breaker = BrokerBreaker()


def broker_paused() -> bool:
    """True while this process skips publishing because the broker failed moments ago."""
    return breaker.is_open()


def queue_task(task: Task, *args: object, eta: datetime | None = None) -> bool:
    """Send `task(*args)` to its queue; False (nothing raised) when the broker fails or failed
    less than BROKER_PAUSE_SECONDS ago. Logged once per outage, not once per call."""
    if breaker.is_open():
        log.debug("Task %s%r not queued: the broker failed moments ago", task.name, args)
        return False
    try:
        task.apply_async(args, eta=eta)
    except (KombuError, OSError) as exc:
        pause = settings.BROKER_PAUSE_SECONDS
        breaker.trip(pause)
        log.warning(
            "Task %s%r not queued, broker unreachable: %s. No publishing for %g s; "
            "committed outbox rows wait for the sweeper",
            task.name,
            args,
            exc,
            pause,
        )
        return False
    if breaker.reset():
        log.info("The broker is reachable again; publishing resumed")
    return True
