"""Per-store lookups made once per block rather than once per event.

Callers that apply many changes in one go (a directory sync through `directory.hooks.batch()`,
a life-cycle chunk) wrap them in `store_lookups_once()`; `notify` and the notices then read each
store's notification settings, whether it has templates in other languages, and its template
overrides once. Everyone else reads them per event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .models import NotificationSettings

# Per-store lookups that `notify` makes for every event, kept for the length of a
# `store_lookups_once` block; None outside one.
_lookups: ContextVar[dict[tuple[str, int], object] | None] = ContextVar(
    "notification_store_lookups", default=None
)


def settings_of(store_id: int) -> NotificationSettings | None:
    return NotificationSettings.objects.filter(store_id=store_id).first()


@contextmanager
def store_lookups_once() -> Iterator[None]:
    """Within the block, `notify` reads each store's notification settings (and whether it has
    templates in other languages) once instead of once per event.

    For callers that apply many changes in one go (directory sync, through
    `directory.hooks.batch()`): an edit of the settings made while the block runs applies from
    the next block on. Everyone else reads them per event.
    """
    token = _lookups.set({})
    try:
        yield
    finally:
        _lookups.reset(token)


def per_store(name: str, store_id: int, read: Callable[[], object]):
    cache = _lookups.get()
    if cache is None:
        return read()
    key = (name, store_id)
    if key not in cache:
        cache[key] = read()
    return cache[key]
