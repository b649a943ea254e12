"""Write-back: Admin Center changes to a synced LDAP object go to the directory (LDAP modify)
before our copy is committed (see the extension point in `identitystores.changes`).

Members are added and removed one value at a time, so a concurrent change to a large group is not
overwritten. Owners and managers are written as the whole attribute, computed from our copy with
the change already applied (primary first, then additional ones when the directory keeps both in
one attribute). A refusal becomes a `ChangeError` with the directory's reason, never a secret.
"""

from __future__ import annotations

import ldap3

from identitystores.changes import ChangeError
from identitystores.directory import AdditionalManager, AdditionalOwner, DirectoryObject
from identitystores.models import IdentityStore
from notifications.events import EventKind

from .connection import DirectoryError, result_message, session
from .models import DirectoryConnection, EntryLink

MEMBER_OPS = {
    EventKind.MEMBER_ADDED: ldap3.MODIFY_ADD,
    EventKind.MEMBER_REMOVED: ldap3.MODIFY_DELETE,
}
OWNER_OPS = {EventKind.OWNER_SET, EventKind.OWNER_ADDED, EventKind.OWNER_REMOVED}
MANAGER_OPS = {EventKind.MANAGER_SET, EventKind.MANAGER_ADDED, EventKind.MANAGER_REMOVED}


def writer_for(store: IdentityStore) -> LdapWriter | None:
    conn = DirectoryConnection.objects.filter(store=store, write_back=True).first()
    return LdapWriter(conn) if conn else None


class LdapWriter:
    def __init__(self, conn: DirectoryConnection) -> None:
        self.conn = conn

    def write(self, operation: str, obj: DirectoryObject, other: DirectoryObject | None) -> None:
        target = _dn(obj)
        if target is None:
            return  # an object kept only in the Admin Center: nothing to write
        changes = self._changes(operation, obj, other)
        if changes is None:
            return
        self._modify(target, changes)

    def _changes(self, operation: str, obj: DirectoryObject, other: DirectoryObject | None):
        conn = self.conn
        if operation in MEMBER_OPS:
            attribute = conn.member_attribute_list[0]
            return {attribute: [(MEMBER_OPS[operation], [_required_dn(other)])]}
        if operation in OWNER_OPS:
            return self._whole(
                obj, conn.owner_attribute, conn.additional_owner_attribute, operation, _owners
            )
        if operation in MANAGER_OPS:
            return self._whole(
                obj, conn.manager_attribute, conn.additional_manager_attribute, operation, _managers
            )
        return None

    def _whole(self, obj, primary_attr: str, extra_attr: str, operation: str, current):
        primary, extra = current(obj)
        primary_dns = [_required_dn(primary)] if primary else []
        extra_dns = [_required_dn(o) for o in extra]
        if extra_attr == primary_attr:
            return {primary_attr: [(ldap3.MODIFY_REPLACE, primary_dns + extra_dns)]}
        if operation.endswith("_set"):
            return {primary_attr: [(ldap3.MODIFY_REPLACE, primary_dns)]} if primary_attr else None
        if not extra_attr:
            return None  # additional ones are kept in the Admin Center only
        return {extra_attr: [(ldap3.MODIFY_REPLACE, extra_dns)]}

    def _modify(self, dn: str, changes: dict) -> None:
        try:
            with session(self.conn) as ldap:
                if not ldap.modify(dn, changes):
                    raise ChangeError(f"The directory refused the change: {_reason(ldap.result)}")
        except DirectoryError as exc:
            raise ChangeError(f"The directory could not be updated: {exc}") from None


def _reason(result: dict) -> str:
    message = result_message(result)
    detail = (result.get("message") or "").strip()
    return f"{message} — {detail}" if detail and detail not in message else message


def _dn(obj: DirectoryObject | None) -> str | None:
    if obj is None:
        return None
    link = EntryLink.objects.filter(object_id=obj.pk).values_list("dn", flat=True).first()
    return link


def _required_dn(obj: DirectoryObject | None) -> str:
    dn = _dn(obj)
    if dn is None:
        raise ChangeError(f"{obj.name} exists only in the Admin Center, not in the directory.")
    return dn


def _owners(group: DirectoryObject):
    extra = [
        link.owner for link in AdditionalOwner.objects.filter(group=group).select_related("owner")
    ]
    return group.primary_owner, extra


def _managers(user: DirectoryObject):
    extra = [
        link.manager
        for link in AdditionalManager.objects.filter(user=user).select_related("manager")
    ]
    return user.primary_manager, extra
