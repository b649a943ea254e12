"""Creating directory objects and changing their attributes, one at a time or many at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from identitystores.models import IdentityStore

from ..models import DirectoryEvent, DirectoryObject, EventKind, GroupMembership
from .base import EDITABLE, SYNC_FIELDS, Actor, ChangeError, display, validate
from .recording import record
from .relations import remove_member


@transaction.atomic
def create_object(store: IdentityStore, actor: Actor, kind: str, **values) -> DirectoryObject:
    """Create a user, contact or group."""
    allowed = set(EDITABLE[kind]) | set(SYNC_FIELDS)
    unknown = set(values) - allowed
    if unknown:
        raise ChangeError(f"A {kind} has no attribute {', '.join(sorted(unknown))}.")
    obj = DirectoryObject(store=store, kind=kind, **values)
    validate(obj)
    obj.save()
    changes = {f: [None, display(v)] for f, v in values.items() if f not in SYNC_FIELDS}
    record(obj, actor, EventKind.CREATED, changes)
    return obj


@transaction.atomic
def update_attributes(obj: DirectoryObject, actor: Actor, **values) -> DirectoryEvent | None:
    """Change attributes; nothing happens (no event) when no value differs."""
    dirty, changes = _assign(obj, values)
    if not dirty:
        return None
    validate(obj)
    obj.save(update_fields=[*dirty, "updated"])
    return record(obj, actor, EventKind.UPDATED, changes) if changes else None


@transaction.atomic
def delete_object(obj: DirectoryObject, actor: Actor) -> DirectoryEvent:
    """Delete a user, contact or group of the built-in directory.

    It first leaves every group it belongs to through `remove_member`, so each group's rules
    notify as for any removal. The deletion is then recorded and announced while the object
    still exists, so its recipients (the object, a group's members and owners, a user's
    managers) are found as for any change to it; then the row goes with its links.
    """
    groups = DirectoryObject.objects.filter(
        pk__in=GroupMembership.objects.filter(member=obj).values("group_id")
    ).order_by("name", "pk")
    for group in groups:
        remove_member(group, obj, actor)
    event = record(obj, actor, EventKind.DELETED, {"kind": [obj.get_kind_display(), None]})
    obj.delete()
    return event


@dataclass
class BulkUpdate:
    """What `update_attributes_in_bulk` did: objects whose change recorded an event, and the
    objects it refused, with why (those changed nothing)."""

    updated: list[DirectoryObject] = field(default_factory=list)
    refused: list[tuple[DirectoryObject, ChangeError]] = field(default_factory=list)


@transaction.atomic
def update_attributes_in_bulk(
    items: list[tuple[DirectoryObject, dict]], actor: Actor
) -> BulkUpdate:
    """`update_attributes` for many objects, with one UPDATE per set of changed fields instead
    of one per object: directory sync applies hundreds of attribute changes per batch. Each
    object is checked on its own, before anything is written, so a refused one needs no
    savepoint; its in-memory values are put back."""
    result = BulkUpdate()
    by_fields: dict[tuple[str, ...], list[DirectoryObject]] = {}
    events: list[tuple[DirectoryObject, dict]] = []
    now = timezone.now()
    for obj, values in items:
        before = {name: getattr(obj, name) for name in values}
        try:
            dirty, changes = _assign(obj, values)
            if dirty:
                validate(obj)
        except ChangeError as exc:
            for name, value in before.items():
                setattr(obj, name, value)
            result.refused.append((obj, exc))
            continue
        if dirty:
            obj.updated = now
            by_fields.setdefault(tuple(dirty), []).append(obj)
            if changes:
                events.append((obj, changes))
    for fields, objs in by_fields.items():
        _update_rows(objs, [*fields, "updated"])
    for obj, changes in events:
        record(obj, actor, EventKind.UPDATED, changes)
        result.updated.append(obj)
    return result


def _update_rows(objs: list[DirectoryObject], names: list[str]) -> None:
    """One parameterised UPDATE run for every object (`bulk_update` builds a CASE expression
    per object and field, which costs more than the statements it saves)."""
    fields = [DirectoryObject._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(DirectoryObject._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608 - names from model metadata
    rows = [
        [*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _assign(obj: DirectoryObject, values: dict) -> tuple[list[str], dict]:
    """Set the values that differ on `obj`: the changed field names, and the changes to
    describe (old and new, shown as text; the sync bookkeeping fields are not described)."""
    unknown = set(values) - set(EDITABLE[obj.kind]) - set(SYNC_FIELDS)
    if unknown:
        raise ChangeError(f"A {obj.kind} has no attribute {', '.join(sorted(unknown))}.")
    changes, dirty = {}, []
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            setattr(obj, name, value)
            dirty.append(name)
            if name not in SYNC_FIELDS:
                changes[name] = [display(old), display(value)]
    return dirty, changes
