"""Writing the store history. Callers pass display values; a secret is only ever recorded as
SECRET_CHANGED ("changed") or "cleared", never by value."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from .models import AuditEntry, IdentityStore

SECRET_CHANGED = "changed"


def record(
    store: IdentityStore,
    actor,
    action: str,
    changes: Iterable[tuple[str, str, str]] = (),
) -> None:
    """Record an action; with `changes` (field, old, new) one entry per changed field."""
    AuditEntry.objects.bulk_create(entries(store, actor, action, changes))


def entries(
    store: IdentityStore,
    actor,
    action: str,
    changes: Iterable[tuple[str, str, str]] = (),
) -> list[AuditEntry]:
    """The unsaved rows `record` writes (for callers that insert many actions at once); they
    share one change key, so History shows them as one change."""
    change = uuid.uuid4()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    name = actor_obj.get_username() if actor_obj else (str(actor) if actor else "system")
    rows = [
        AuditEntry(
            store=store,
            actor=actor_obj,
            actor_name=name,
            action=action,
            field=field,
            old_value=old,
            new_value=new,
            change=change,
        )
        for field, old, new in changes
    ] or [AuditEntry(store=store, actor=actor_obj, actor_name=name, action=action, change=change)]
    return rows
