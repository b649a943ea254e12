"""Changing the relations between directory objects: group members, owners and managers.

Each service changes our copy, writes the change back to the store's external directory when it
has one (`hooks.write_back`, before the transaction commits), then records it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..hooks import write_back
from ..models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    EventKind,
    GroupMembership,
)
from .base import Actor, ChangeError, check_manager, check_owner, require_kind, same_store
from .recording import record

Kind = DirectoryObject.Kind


# --- Membership -------------------------------------------------------------------------------


@transaction.atomic
def add_member(group: DirectoryObject, member: DirectoryObject, actor: Actor) -> DirectoryEvent:
    require_kind(group, Kind.GROUP, "group")
    same_store(group, member, "member")
    if member.pk == group.pk:
        raise ChangeError("A group cannot be a member of itself.", "member")
    try:
        with transaction.atomic():
            GroupMembership.objects.create(
                group=group, member=member, member_is_group=member.is_group
            )
    except IntegrityError as exc:
        raise ChangeError(f"{member.name} is already a member of {group.name}.", "member") from exc
    write_back(group, actor, EventKind.MEMBER_ADDED, member)
    return record(group, actor, EventKind.MEMBER_ADDED, member=member)


@transaction.atomic
def remove_member(group: DirectoryObject, member: DirectoryObject, actor: Actor) -> DirectoryEvent:
    deleted, _ = GroupMembership.objects.filter(group=group, member=member).delete()
    if not deleted:
        raise ChangeError(f"{member.name} is not a member of {group.name}.", "member")
    write_back(group, actor, EventKind.MEMBER_REMOVED, member)
    return record(group, actor, EventKind.MEMBER_REMOVED, member=member)


# --- Owners -----------------------------------------------------------------------------------


@transaction.atomic
def set_primary_owner(
    group: DirectoryObject, owner: DirectoryObject | None, actor: Actor
) -> DirectoryEvent | None:
    require_kind(group, Kind.GROUP, "group")
    if owner is not None:
        check_owner(group, owner)
    old = group.primary_owner
    if _pk(old) == _pk(owner):
        return None
    group.primary_owner = owner
    group.save(update_fields=["primary_owner", "updated"])
    write_back(group, actor, EventKind.OWNER_SET, owner)
    changes = {"primary owner": [_name(old), _name(owner)]}
    return record(group, actor, EventKind.OWNER_SET, changes)


@transaction.atomic
def add_additional_owner(
    group: DirectoryObject, owner: DirectoryObject, actor: Actor, *, dont_notify: bool = False
) -> DirectoryEvent:
    require_kind(group, Kind.GROUP, "group")
    check_owner(group, owner)
    try:
        with transaction.atomic():
            AdditionalOwner.objects.create(group=group, owner=owner, dont_notify=dont_notify)
    except IntegrityError as exc:
        raise ChangeError(f"{owner.name} is already an owner of {group.name}.", "owner") from exc
    write_back(group, actor, EventKind.OWNER_ADDED, owner)
    changes = {"additional owners": [None, owner.name]}
    return record(group, actor, EventKind.OWNER_ADDED, changes, member=owner)


@transaction.atomic
def remove_additional_owner(
    group: DirectoryObject, owner: DirectoryObject, actor: Actor
) -> DirectoryEvent:
    deleted, _ = AdditionalOwner.objects.filter(group=group, owner=owner).delete()
    if not deleted:
        raise ChangeError(f"{owner.name} is not an additional owner of {group.name}.", "owner")
    write_back(group, actor, EventKind.OWNER_REMOVED, owner)
    changes = {"additional owners": [owner.name, None]}
    return record(group, actor, EventKind.OWNER_REMOVED, changes, member=owner)


# --- Managers ---------------------------------------------------------------------------------


@transaction.atomic
def set_primary_manager(
    user: DirectoryObject, manager: DirectoryObject | None, actor: Actor
) -> DirectoryEvent | None:
    require_kind(user, Kind.USER, "user")
    if manager is not None:
        check_manager(user, manager)
    old = user.primary_manager
    if _pk(old) == _pk(manager):
        return None
    user.primary_manager = manager
    user.save(update_fields=["primary_manager", "updated"])
    write_back(user, actor, EventKind.MANAGER_SET, manager)
    changes = {"primary manager": [_name(old), _name(manager)]}
    return record(user, actor, EventKind.MANAGER_SET, changes)


@transaction.atomic
def add_additional_manager(
    user: DirectoryObject, manager: DirectoryObject, actor: Actor
) -> DirectoryEvent:
    require_kind(user, Kind.USER, "user")
    check_manager(user, manager)
    try:
        with transaction.atomic():
            AdditionalManager.objects.create(user=user, manager=manager)
    except IntegrityError as exc:
        raise ChangeError(
            f"{manager.name} is already a manager of {user.name}.", "manager"
        ) from exc
    write_back(user, actor, EventKind.MANAGER_ADDED, manager)
    changes = {"additional managers": [None, manager.name]}
    return record(user, actor, EventKind.MANAGER_ADDED, changes, member=manager)


@transaction.atomic
def remove_additional_manager(
    user: DirectoryObject, manager: DirectoryObject, actor: Actor
) -> DirectoryEvent:
    deleted, _ = AdditionalManager.objects.filter(user=user, manager=manager).delete()
    if not deleted:
        raise ChangeError(f"{manager.name} is not an additional manager of {user.name}.", "manager")
    write_back(user, actor, EventKind.MANAGER_REMOVED, manager)
    changes = {"additional managers": [manager.name, None]}
    return record(user, actor, EventKind.MANAGER_REMOVED, changes, member=manager)


def _pk(obj: DirectoryObject | None) -> int | None:
    return obj.pk if obj is not None else None


def _name(obj: DirectoryObject | None) -> str | None:
    return obj.name if obj is not None else None
