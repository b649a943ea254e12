"""How other apps take part in directory changes without the directory importing them.

Two registries, filled by the other apps' `AppConfig.ready`:
- writers: a store whose objects live in an external directory (LDAP, Active Directory) registers
  a writer lookup. Membership, owner and manager changes made here reach that directory before our
  copy is committed: the local row changes first (inside the transaction), then the writer sends
  the change; a refusal raises ChangeError and the transaction rolls back, so nothing is
  half-applied. Changes that came from the directory (route "directory-sync") are never written
  back.
- listeners: each recorded change is announced to every listener (notifications registers the
  one that writes the mail), synchronously and inside the change's transaction, after the event
  and history rows. A listener that raises rolls the change back. A listener may also register a
  batch context: callers applying many changes in one go (directory sync, life-cycle jobs) open
  `batch()`, which enters every listener's context, so a listener can read per-store data once
  per batch. Within a batch each store's writer is also looked up once.

Plain lists rather than Django signals: errors propagate (a signal's `send_robust` would swallow
them) and the order is the registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

from .models import DirectoryEvent, DirectoryObject, Route

if TYPE_CHECKING:
    from identitystores.models import IdentityStore

    from .changes import Actor


class DirectoryWriter(Protocol):
    def write(self, operation: str, obj: DirectoryObject, other: DirectoryObject | None) -> None:
        """Apply `operation` (an EventKind value) to the directory, or raise ChangeError."""


WriterLookup = Callable[["IdentityStore"], "DirectoryWriter | None"]
Listener = Callable[[DirectoryEvent, "Actor"], None]
BatchContext = Callable[[], AbstractContextManager]
_writer_lookups: list[WriterLookup] = []
_listeners: list[Listener] = []
_batches: list[BatchContext] = []
# Each store's writers, looked up once per `batch()` block; None outside one.
_writers: ContextVar[dict[int, list[DirectoryWriter]] | None] = ContextVar(
    "directory_writers", default=None
)


def register_writer(lookup: WriterLookup) -> None:
    """`lookup(store)` returns the store's writer, or None when the store has no directory."""
    if lookup not in _writer_lookups:
        _writer_lookups.append(lookup)


def register_listener(listener: Listener, *, batch: BatchContext | None = None) -> None:
    """`listener(event, actor)` runs for every change announced; registering twice is a no-op.
    `batch()`, if given, is the context `hooks.batch()` enters for this listener."""
    if listener not in _listeners:
        _listeners.append(listener)
    if batch is not None and batch not in _batches:
        _batches.append(batch)


def write_back(
    obj: DirectoryObject, actor: Actor, operation: str, other: DirectoryObject | None = None
) -> None:
    """Send a change to the store's external directory, unless it came from there."""
    if actor.route == Route.DIRECTORY_SYNC:
        return
    for writer in _writers_of(obj.store):
        writer.write(operation, obj, other)


def _writers_of(store: IdentityStore) -> list[DirectoryWriter]:
    cache = _writers.get()
    if cache is not None and store.pk in cache:
        return cache[store.pk]
    writers = [w for w in (lookup(store) for lookup in _writer_lookups) if w is not None]
    if cache is not None:
        cache[store.pk] = writers
    return writers


def announce(event: DirectoryEvent, actor: Actor) -> None:
    """Tell every listener about a recorded change."""
    for listener in _listeners:
        listener(event, actor)


@contextmanager
def batch() -> Iterator[None]:
    """Within the block, every listener's batch context is open (in registration order), and
    each store's writer is looked up once: a connection set up while the block runs is used
    from the next block on."""
    token = _writers.set({})
    try:
        with ExitStack() as stack:
            for context in _batches:
                stack.enter_context(context())
            yield
    finally:
        _writers.reset(token)
