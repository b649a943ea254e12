"""The only way directory objects change: each service applies the change, records the event and
the store history, and writes the notification outbox rows — all in one transaction, so a change
that rolls back notifies nobody and a notification never describes a change that did not happen.

The Admin Center pages, the management commands, imports, directory sync and the life-cycle jobs
all call these functions with an `Actor` that says who acted and through which route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from notifications.emails import notify
from notifications.events import DirectoryEvent, EventKind, Route

from . import audit
from .directory import AdditionalManager, AdditionalOwner, DirectoryObject, GroupMembership
from .models import AuditEntry, IdentityStore

Kind = DirectoryObject.Kind

EDITABLE: dict[str, tuple[str, ...]] = {
    Kind.USER: (
        "name",
        "email",
        "mail_enabled",
        "language",
        "password_last_set",
        "password_expires",
    ),
    Kind.CONTACT: ("name", "email"),
    Kind.GROUP: ("name", "email", "security_type"),
}
SYNC_FIELDS = ("external_id", "source")


@dataclass(frozen=True)
class Actor:
    """Who made a change: an Admin Center account (or nobody, for schedules and sync) and the
    route. `credentials` is the admin's sign-in secret, kept only for mail that must go out with
    it (stores without SMTP user authentication); it never appears in the repr, so debug pages,
    logs and error trackers that print an Actor do not show it."""

    user: Any = None
    route: str = Route.ADMIN_CENTER
    credentials: str = field(default="", repr=False)
    # False records events without writing mail (bulk imports); every route notifies by default.
    notify: bool = True

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user else Route(self.route).label


class ChangeError(Exception):
    """A change that cannot be made; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- Directory write-back ---------------------------------------------------------------------
# A store whose objects live in an external directory (LDAP, Active Directory) registers a
# writer. Membership, owner and manager changes made here reach the directory before our copy is
# committed: the local row changes first (inside the transaction), then the writer sends the
# change; a refusal raises ChangeError and the transaction rolls back, so nothing is half-applied.
# Changes that came from the directory (route "directory-sync") are never written back.


class DirectoryWriter(Protocol):
    def write(self, operation: str, obj: DirectoryObject, other: DirectoryObject | None) -> None:
        """Apply `operation` (an EventKind value) to the directory, or raise ChangeError."""


WriterLookup = Callable[[IdentityStore], "DirectoryWriter | None"]
_writer_lookups: list[WriterLookup] = []


def register_directory_writer(lookup: WriterLookup) -> None:
    """`lookup(store)` returns the store's writer, or None when the store has no directory."""
    if lookup not in _writer_lookups:
        _writer_lookups.append(lookup)


def _write_back(
    obj: DirectoryObject, actor: Actor, operation: str, other: DirectoryObject | None = None
) -> None:
    if actor.route == Route.DIRECTORY_SYNC:
        return
    for lookup in _writer_lookups:
        writer = lookup(obj.store)
        if writer is not None:
            writer.write(operation, obj, other)


# --- Objects and attributes -------------------------------------------------------------------


@transaction.atomic
def create_object(store: IdentityStore, actor: Actor, kind: str, **values) -> DirectoryObject:
    """Create a user, contact or group."""
    allowed = set(EDITABLE[kind]) | set(SYNC_FIELDS)
    unknown = set(values) - allowed
    if unknown:
        raise ChangeError(f"A {kind} has no attribute {', '.join(sorted(unknown))}.")
    obj = DirectoryObject(store=store, kind=kind, **values)
    _validate(obj)
    obj.save()
    changes = {f: [None, _display(v)] for f, v in values.items() if f not in SYNC_FIELDS}
    _record(obj, actor, EventKind.CREATED, changes)
    return obj


@transaction.atomic
def update_attributes(obj: DirectoryObject, actor: Actor, **values) -> DirectoryEvent | None:
    """Change attributes; nothing happens (no event) when no value differs."""
    dirty, changes = _assign(obj, values)
    if not dirty:
        return None
    _validate(obj)
    obj.save(update_fields=[*dirty, "updated"])
    return _record(obj, actor, EventKind.UPDATED, changes) if changes else None


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
                _validate(obj)
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
        _record(obj, actor, EventKind.UPDATED, changes)
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
                changes[name] = [_display(old), _display(value)]
    return dirty, changes


# --- Membership -------------------------------------------------------------------------------


@transaction.atomic
def add_member(group: DirectoryObject, member: DirectoryObject, actor: Actor) -> DirectoryEvent:
    _require_kind(group, Kind.GROUP, "group")
    _same_store(group, member, "member")
    if member.pk == group.pk:
        raise ChangeError("A group cannot be a member of itself.", "member")
    try:
        with transaction.atomic():
            GroupMembership.objects.create(
                group=group, member=member, member_is_group=member.is_group
            )
    except IntegrityError as exc:
        raise ChangeError(f"{member.name} is already a member of {group.name}.", "member") from exc
    _write_back(group, actor, EventKind.MEMBER_ADDED, member)
    return _record(group, actor, EventKind.MEMBER_ADDED, member=member)


@transaction.atomic
def remove_member(group: DirectoryObject, member: DirectoryObject, actor: Actor) -> DirectoryEvent:
    deleted, _ = GroupMembership.objects.filter(group=group, member=member).delete()
    if not deleted:
        raise ChangeError(f"{member.name} is not a member of {group.name}.", "member")
    _write_back(group, actor, EventKind.MEMBER_REMOVED, member)
    return _record(group, actor, EventKind.MEMBER_REMOVED, member=member)


# --- Owners -----------------------------------------------------------------------------------


@transaction.atomic
def set_primary_owner(
    group: DirectoryObject, owner: DirectoryObject | None, actor: Actor
) -> DirectoryEvent | None:
    _require_kind(group, Kind.GROUP, "group")
    if owner is not None:
        _check_owner(group, owner)
    old = group.primary_owner
    if _pk(old) == _pk(owner):
        return None
    group.primary_owner = owner
    group.save(update_fields=["primary_owner", "updated"])
    _write_back(group, actor, EventKind.OWNER_SET, owner)
    changes = {"primary owner": [_name(old), _name(owner)]}
    return _record(group, actor, EventKind.OWNER_SET, changes)


@transaction.atomic
def add_additional_owner(
    group: DirectoryObject, owner: DirectoryObject, actor: Actor, *, dont_notify: bool = False
) -> DirectoryEvent:
    _require_kind(group, Kind.GROUP, "group")
    _check_owner(group, owner)
    try:
        with transaction.atomic():
            AdditionalOwner.objects.create(group=group, owner=owner, dont_notify=dont_notify)
    except IntegrityError as exc:
        raise ChangeError(f"{owner.name} is already an owner of {group.name}.", "owner") from exc
    _write_back(group, actor, EventKind.OWNER_ADDED, owner)
    changes = {"additional owners": [None, owner.name]}
    return _record(group, actor, EventKind.OWNER_ADDED, changes, member=owner)


@transaction.atomic
def remove_additional_owner(
    group: DirectoryObject, owner: DirectoryObject, actor: Actor
) -> DirectoryEvent:
    deleted, _ = AdditionalOwner.objects.filter(group=group, owner=owner).delete()
    if not deleted:
        raise ChangeError(f"{owner.name} is not an additional owner of {group.name}.", "owner")
    _write_back(group, actor, EventKind.OWNER_REMOVED, owner)
    changes = {"additional owners": [owner.name, None]}
    return _record(group, actor, EventKind.OWNER_REMOVED, changes, member=owner)


# --- Managers ---------------------------------------------------------------------------------


@transaction.atomic
def set_primary_manager(
    user: DirectoryObject, manager: DirectoryObject | None, actor: Actor
) -> DirectoryEvent | None:
    _require_kind(user, Kind.USER, "user")
    if manager is not None:
        _check_manager(user, manager)
    old = user.primary_manager
    if _pk(old) == _pk(manager):
        return None
    user.primary_manager = manager
    user.save(update_fields=["primary_manager", "updated"])
    _write_back(user, actor, EventKind.MANAGER_SET, manager)
    changes = {"primary manager": [_name(old), _name(manager)]}
    return _record(user, actor, EventKind.MANAGER_SET, changes)


@transaction.atomic
def add_additional_manager(
    user: DirectoryObject, manager: DirectoryObject, actor: Actor
) -> DirectoryEvent:
    _require_kind(user, Kind.USER, "user")
    _check_manager(user, manager)
    try:
        with transaction.atomic():
            AdditionalManager.objects.create(user=user, manager=manager)
    except IntegrityError as exc:
        raise ChangeError(
            f"{manager.name} is already a manager of {user.name}.", "manager"
        ) from exc
    _write_back(user, actor, EventKind.MANAGER_ADDED, manager)
    changes = {"additional managers": [None, manager.name]}
    return _record(user, actor, EventKind.MANAGER_ADDED, changes, member=manager)


@transaction.atomic
def remove_additional_manager(
    user: DirectoryObject, manager: DirectoryObject, actor: Actor
) -> DirectoryEvent:
    deleted, _ = AdditionalManager.objects.filter(user=user, manager=manager).delete()
    if not deleted:
        raise ChangeError(f"{manager.name} is not an additional manager of {user.name}.", "manager")
    _write_back(user, actor, EventKind.MANAGER_REMOVED, manager)
    changes = {"additional managers": [manager.name, None]}
    return _record(user, actor, EventKind.MANAGER_REMOVED, changes, member=manager)


# --- Writing many changes' records at once -----------------------------------------------------


@dataclass
class _Pending:
    events: list[DirectoryEvent] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)


_pending: ContextVar[_Pending | None] = ContextVar("directory_change_records", default=None)


@contextmanager
def records_in_bulk() -> Iterator[None]:
    """Within the block, the services still apply each change and write its outbox rows at
    once, but keep its event and history entries and insert them when the block ends (one INSERT
    for all events, one for all history entries). For callers that apply many changes inside one
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


# --- Helpers ----------------------------------------------------------------------------------


def _record(
    obj: DirectoryObject,
    actor: Actor,
    kind: str,
    changes: dict | None = None,
    *,
    member: DirectoryObject | None = None,
) -> DirectoryEvent:
    """Write the event and the history entry, then the outbox rows (same transaction). Every
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
    history = [
        (f"{obj.name} · {name}"[:120], _text(old), _text(new))
        for name, (old, new) in (changes or {}).items()
    ]
    if member is not None and kind in (EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED):
        added = kind == EventKind.MEMBER_ADDED
        history = [
            (
                f"{obj.name} · member"[:120],
                "" if added else member.name,
                member.name if added else "",
            )
        ]
    history = history or [(obj.name[:120], "", "")]
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
        notify(event, credentials=actor.credentials)
    return event


def _validate(obj: DirectoryObject) -> None:
    if obj.kind == Kind.GROUP and not obj.security_type:
        obj.security_type = DirectoryObject.SecurityType.PRIVATE
    try:
        obj.full_clean(exclude=["store", "primary_manager", "primary_owner"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ChangeError(" ".join(messages), field) from exc


def _require_kind(obj: DirectoryObject, kind: str, field: str) -> None:
    if obj.kind != kind:
        raise ChangeError(f"{obj.name} is not a {kind}.", field)


def _same_store(a: DirectoryObject, b: DirectoryObject, field: str) -> None:
    if a.store_id != b.store_id:
        raise ChangeError(f"{b.name} belongs to another identity store.", field)


def _check_owner(group: DirectoryObject, owner: DirectoryObject) -> None:
    _same_store(group, owner, "owner")
    if owner.kind not in (Kind.USER, Kind.GROUP):
        raise ChangeError("An owner must be a user or a group.", "owner")
    if owner.pk == group.pk:
        raise ChangeError("A group cannot own itself.", "owner")


def _check_manager(user: DirectoryObject, manager: DirectoryObject) -> None:
    _same_store(user, manager, "manager")
    if manager.kind != Kind.USER:
        raise ChangeError("A manager must be a user.", "manager")
    if manager.pk == user.pk:
        raise ChangeError("A user cannot be their own manager.", "manager")


def _pk(obj: DirectoryObject | None) -> int | None:
    return obj.pk if obj is not None else None


def _name(obj: DirectoryObject | None) -> str | None:
    return obj.name if obj is not None else None


def _text(value) -> str:
    if value is None:
        return ""
    return str(value)


def _display(value) -> str | None:
    if value is None or isinstance(value, str | bool | int):
        return value
    return str(value)
