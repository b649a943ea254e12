"""The frame every life-cycle job runs in: fix "today", list the due items, handle each in its own
transaction, count, and record the run.

A job is a list of phases, each a list of due row ids and a handler. The ids are read up front
with indexed (store, state, date) queries, so a run costs what is due, not what exists. Each
handler first *claims* its row with a conditional UPDATE (state or marker still as expected) in
the transaction that also changes the directory and writes the outbox rows: a second run, a
concurrent run, or a rerun after a crash finds the row already claimed and does nothing.

Each item is one step (`one_store_copy`): when it changes the directory and also sends a
life-cycle notice, the store's To:/CC: receive the notice only, not the change notification too.

Items are handled in chunks of `LIFECYCLE_CHUNK`, one transaction per chunk: the chunk's rows are
read together (`prefetch`), its events, history entries and outbox rows are inserted together
when the chunk ends, and the store's settings and writer are looked up once. A chunk commits
whole or not at all, so a killed run loses and repeats nothing. When an item fails, the chunk is
rolled back, the items before it are applied again one transaction each, and the error is
raised: the run ends where it failed, as if every item had had its own transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from core.chunks import chunks
from directory import hooks
from directory.changes import Actor, records_in_bulk
from directory.models import Route
from identitystores import audit
from identitystores.models import IdentityStore
from notifications.models import NotificationSettings
from notifications.notify import one_store_copy, rows_in_bulk, settings_for

from . import days, prefetch
from .models import JobRun

log = logging.getLogger(__name__)
ERROR_MAX = 500


class Progress(Protocol):
    """Told the number of due items, then once per item handled (after its commit)."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass
class Run:
    """What a handler needs: the store, its settings, the store's today, and the tallies."""

    store: IdentityStore
    settings: NotificationSettings | None
    now: datetime
    today: date
    actor: Actor = field(default_factory=lambda: Actor(route=Route.LIFECYCLE))
    counts: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    def skip(self, text: str) -> None:
        """Record something the schedule could not do in time (history + the run record)."""
        self.skipped.append(text)
        audit.record(self.store, self.actor.name, "lifecycle.skipped", [("schedule", "", text)])


Handler = Callable[[Run, int], None]
Phase = tuple[list[int], Handler]


def execute(
    store: IdentityStore,
    job: str,
    plan: Callable[[Run], list[Phase]],
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> JobRun:
    """Run `plan`'s phases for `store` at `now`; the JobRun row tells what happened."""
    progress = progress or NoProgress()
    now = days.current(now)
    run = Run(
        store=store,
        settings=settings_for(store),
        now=now,
        today=days.today(store, now),
    )
    record = JobRun.objects.create(store=store, job=job, today=run.today, started=now)
    try:
        phases = plan(run)
        progress.start(sum(len(ids) for ids, _ in phases))
        for ids, handle in phases:
            for chunk in chunks(ids, chunk_size()):
                handle_chunk(run, chunk, handle)
                for _pk in chunk:
                    progress.advance()
    except BaseException as exc:
        _finish(record, run, JobRun.Status.FAILED, f"{type(exc).__name__}: {exc}")
        log.warning("Life-cycle job %s of store %s failed: %s", job, store.pk, type(exc).__name__)
        raise
    _finish(record, run, JobRun.Status.FINISHED)
    log.info("Life-cycle job %s of store %s: %s", job, store.pk, summary(record))
    return record


def chunk_size() -> int:
    return max(1, int(getattr(django_settings, "LIFECYCLE_CHUNK", 200)))


def handle_chunk(run: Run, chunk: list[int], handle: Handler) -> None:
    """Handle `chunk` in one transaction; on failure apply the items before the failing one
    again, one transaction each, then raise (see the module docstring)."""
    tallies = Counter(run.counts), list(run.skipped)
    done = 0
    try:
        with transaction.atomic(), _together(chunk):
            for pk in chunk:
                with one_store_copy():
                    handle(run, pk)
                done += 1
    except BaseException:
        run.counts, run.skipped = tallies
        for pk in chunk[:done]:
            with transaction.atomic(), _together([pk]), one_store_copy():
                handle(run, pk)
        raise


@contextmanager
def _together(chunk: list[int]) -> Iterator[None]:
    """Rows read together, records and outbox rows written together, lookups made once."""
    with ExitStack() as stack:
        stack.enter_context(hooks.batch())
        stack.enter_context(records_in_bulk())
        stack.enter_context(rows_in_bulk())
        stack.enter_context(prefetch.chunk(chunk))
        yield


def summary(record: JobRun) -> str:
    counts = record.counts
    parts = [f"{counts.get(name, 0)} {label}" for name, label in SUMMARY_LABELS]
    return f"{record.job} · {record.today.isoformat()}: " + ", ".join(parts)


SUMMARY_LABELS = [
    ("applied", "changes applied"),
    ("reminders", "reminders"),
    ("skipped", "skipped"),
    ("unchanged", "already as scheduled"),
    ("messages", "messages queued"),
]


def _finish(record: JobRun, run: Run, status: str, error: str = "") -> None:
    record.status = status
    record.finished = timezone.now()
    record.counts = dict(run.counts)
    record.skipped = run.skipped
    record.error = error[:ERROR_MAX]
    record.save(update_fields=["status", "finished", "counts", "skipped", "error"])
