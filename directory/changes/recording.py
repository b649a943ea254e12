"""Recording a change: its event and its store history entry, then announcing it to the listeners
(notifications writes the outbox rows), all in the change's transaction, so a change that rolls
back notifies nobody and a notification never describes a change that did not happen.

Every service records its change as its last step, so a change refused with ChangeError records
nothing. `records_in_bulk` lets a caller applying many changes in one transaction (directory
sync) insert the events and history entries together when it is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from identitystores import audit
from identitystores.models import AuditEntry

from .. import hooks
from ..models import MEMBERSHIP_KINDS, DirectoryEvent, DirectoryObject, EventKind
from .base import Actor


@dataclass
class _Pending:
    events: list[DirectoryEvent] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)


_pending: ContextVar[_Pending | None] = ContextVar("directory_change_records", default=None)


@contextmanager
def records_in_bulk() -> Iterator[None]:
    """Within the block, the services still apply each change and announce it at once, but keep
    its event and history entries and insert them when the block ends (one INSERT for all
    events, one for all history entries). For callers that apply many changes inside one
    transaction (directory sync).

    Use it inside `transaction.atomic()`: the rows are written in that transaction, and a block
    left by an exception writes none. A change refused with ChangeError records nothing, as
    before: every service records its change as its last step. The events the services return
    have no primary key until the block ends, and an event's time is when it is written (the
    mail, rendered at once, shows the time of the change itself, the same minute or so).
    Databases that cannot return primary keys of a bulk insert write each change's rows as usual.
    """
    if not connection.features.can_return_rows_from_bulk_insert:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    DirectoryEvent.objects.bulk_create(pending.events)
    AuditEntry.objects.bulk_create(pending.history)


def record(
    obj: DirectoryObject,
    actor: Actor,
    kind: str,
    changes: dict | None = None,
    *,
    member: DirectoryObject | None = None,
) -> DirectoryEvent:
    """Write the event and the history entry, then announce the change (same transaction). Every
    service calls this last, so a change that raises records nothing."""
    event = DirectoryEvent(
        store=obj.store,
        kind=kind,
        route=actor.route,
        actor=actor.user,
        actor_name=actor.name,
        object=obj,
        object_name=obj.name,
        changes=changes or {},
        member=member,
        member_name=member.name if member else "",
    )
    history = _history(obj, kind, changes, member)
    pending = _pending.get()
    if pending is None:
        event.save()
        audit.record(obj.store, actor.user or actor.name, f"directory.{kind}", history)
    else:
        event.created = timezone.now()
        pending.events.append(event)
        pending.history += audit.entries(
            obj.store, actor.user or actor.name, f"directory.{kind}", history
        )
    if actor.notify:
        hooks.announce(event, actor)
    return event


def _history(
    obj: DirectoryObject, kind: str, changes: dict | None, member: DirectoryObject | None
) -> list[tuple[str, str, str]]:
    """The store history lines of a change: one per attribute, or one for the member."""
    if member is not None and kind in MEMBERSHIP_KINDS:
        added = kind == EventKind.MEMBER_ADDED
        old, new = ("", member.name) if added else (member.name, "")
        return [(f"{obj.name} · member"[:120], old, new)]
    history = [
        (f"{obj.name} · {name}"[:120], _text(old), _text(new))
        for name, (old, new) in (changes or {}).items()
    ]
    return history or [(obj.name[:120], "", "")]


def _text(value) -> str:
    if value is None:
        return ""
    return str(value)
