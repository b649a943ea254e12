"""Reading the next pages while the current one is written.

The first sync spends its time in two places: waiting for Graph (network, Graph's own work, JSON)
and writing rows to the database. Run one after the other they add up; with the reading in a
thread a few pages ahead, the database driver (which releases the GIL while it works) writes one
page while the next arrives. The queue is bounded, so memory holds only a few pages.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """`items`, produced in a thread up to `depth` ahead; its exception is raised here."""
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ahead.put(item)
            ahead.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            ahead.put(exc)

    thread = threading.Thread(target=produce, name="graph-prefetch", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a producer blocked on a full queue see `stop`
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.1)
        thread.join()
