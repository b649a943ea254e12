"""Write-back: Admin Center changes to a synced LDAP object go to the directory (LDAP modify)
before our copy is committed (registered with `directory.hooks.register_writer`).

Members are added and removed one value at a time, so a concurrent change to a large group is not
overwritten, in the member attribute the group's object class allows (`uniqueMember` for a
groupOfUniqueNames, `member` for a groupOfNames or an Active Directory group). Owners and managers
are written as the whole attribute, computed from our copy with the change already applied
(primary first, then additional ones when the directory keeps both in one attribute). A refusal
becomes a `ChangeError` naming the change, in plain words and then with the directory's own
reason (`refusal`), never a secret.
"""

from __future__ import annotations

from collections.abc import Callable

import ldap3
from ldap3.utils.conv import escape_filter_chars

from directory.changes import ChangeError
from directory.models import AdditionalManager, AdditionalOwner, DirectoryObject, EventKind
from identitystores.models import IdentityStore

from . import refusal
from .connection import DirectoryError, session
from .failures import REPLY_FAULTS, during_use
from .mapping import _dns, dn_key
from .models import DirectoryConnection, EntryLink
from .paging import complete_ranges
from .refusal import Change, Refused

MEMBER_OPS = {
    EventKind.MEMBER_ADDED: ldap3.MODIFY_ADD,
    EventKind.MEMBER_REMOVED: ldap3.MODIFY_DELETE,
}
OWNER_OPS = {EventKind.OWNER_SET, EventKind.OWNER_ADDED, EventKind.OWNER_REMOVED}
MANAGER_OPS = {EventKind.MANAGER_SET, EventKind.MANAGER_ADDED, EventKind.MANAGER_REMOVED}
# The member attribute each group object class allows (lower-case class names).
CLASS_MEMBER_ATTRIBUTES = {
    "groupofuniquenames": "uniqueMember",
    "groupofnames": "member",
    "group": "member",  # Active Directory
}
NO_SUCH_ATTRIBUTE = 16


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
        change = Change(operation, obj, other)
        if operation in MEMBER_OPS:
            member = _required_dn(other)
            op = MEMBER_OPS[operation]
            self._send(change, lambda ldap: self._write_member(ldap, target, op, member))
            return
        changes = self._changes(operation, obj)
        if changes is not None:
            self._send(change, lambda ldap: _modify(ldap, target, changes))

    def _send(self, change: Change, action: Callable[[ldap3.Connection], None]) -> None:
        try:
            with session(self.conn) as ldap:
                action(ldap)
        except Refused as refused:
            raise ChangeError(refusal.message(change, refused, self.conn.bind_dn)) from None
        except DirectoryError as exc:
            raise ChangeError(
                f"{change.text} failed: the directory could not be updated: {exc}"
            ) from None
        except REPLY_FAULTS as exc:
            raise ChangeError(
                f"{change.text} failed: the directory connection failed: {during_use(exc)}"
            ) from None

    def _write_member(self, ldap: ldap3.Connection, group: str, op: str, member: str) -> None:
        """Add or remove one member value. When the directory already holds what the change asks
        for (someone made the same change there, and sync has not read it yet) the change goes
        on here: refusing it would leave the admin unable to bring our copy in line. Directories
        say so differently (OpenLDAP 20 or 16; Active Directory 68, or 53 "unwillingToPerform"
        for a member already removed), so the group is asked rather than the code trusted."""
        attribute = self._member_attribute(ldap, group)
        if ldap.modify(group, {attribute: [(op, [member])]}):
            return
        result = dict(ldap.result)
        if op == ldap3.MODIFY_DELETE and result.get("result") == NO_SUCH_ATTRIBUTE:
            held = _values_with_uid(ldap, group, attribute, member)
            if held:
                _modify(ldap, group, {attribute: [(op, held)]})
                return
        if _holds(ldap, group, attribute, member) is (op == ldap3.MODIFY_ADD):
            return
        raise _refused(ldap, group, attribute, result)

    def _member_attribute(self, ldap: ldap3.Connection, group: str) -> str:
        """The configured member attribute the group's object class allows: a groupOfUniqueNames
        refuses `member`, a groupOfNames `uniqueMember`. Decided from one base read of the
        group's objectClass, never of its members (a group may have 100,000); a group of
        another class gets the first configured attribute."""
        configured = {name.lower(): name for name in self.conn.member_attribute_list}
        for object_class in _object_classes(ldap, group):
            name = CLASS_MEMBER_ATTRIBUTES.get(object_class.lower(), "").lower()
            if name in configured:
                return configured[name]
        return self.conn.member_attribute_list[0]

    def _changes(self, operation: str, obj: DirectoryObject):
        conn = self.conn
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


def _modify(ldap: ldap3.Connection, dn: str, changes: dict) -> None:
    """One modify of one attribute; a refusal raises `Refused`."""
    if not ldap.modify(dn, changes):
        raise _refused(ldap, dn, next(iter(changes)), dict(ldap.result))


def _refused(ldap: ldap3.Connection, dn: str, attribute: str, result: dict) -> Refused:
    """noSuchObject names either `dn` or a DN among the new values: a base read of `dn` tells
    the admin which."""
    missing = result.get("result") == refusal.NO_SUCH_OBJECT and not _object_classes(ldap, dn)
    return Refused(result, dn, attribute, target_missing=missing)


def _base_entry(ldap: ldap3.Connection, dn: str, attribute: str) -> dict:
    """The attributes of `dn` read with a base search ({} when it cannot be read: the modify
    that follows reports why), an attribute handed out in ranges read whole (a slice that
    cannot be read raises `DirectoryError`)."""
    ldap.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[attribute])
    for entry in ldap.response or []:
        if entry.get("type") == "searchResEntry":
            complete_ranges(ldap, entry)
            return entry.get("attributes") or {}
    return {}


def _holds(ldap: ldap3.Connection, dn: str, attribute: str, value: str) -> bool | None:
    """Whether the entry has this value, by an equality filter on one base search (the
    attribute itself may hold 100,000 values); None when the directory does not say."""
    search = f"({attribute}={escape_filter_chars(value)})"
    if not ldap.search(dn, search, search_scope=ldap3.BASE, attributes=[ldap3.NO_ATTRIBUTES]):
        return False if ldap.result.get("result") == 0 else None
    return any(entry.get("type") == "searchResEntry" for entry in ldap.response or [])


def _object_classes(ldap: ldap3.Connection, dn: str) -> list[str]:
    return [str(v) for v in _base_entry(ldap, dn, "objectClass").get("objectClass") or []]


def _values_with_uid(ldap: ldap3.Connection, group: str, attribute: str, member: str) -> list[str]:
    """The values naming `member` with an optional UID (`dn#'0101'B`, uniqueMember's syntax):
    the directory's equality match on the bare DN does not find them. This reads the whole
    attribute, so it runs only after removing the bare DN found nothing."""
    if attribute.lower() != "uniquemember":
        return []
    values = _base_entry(ldap, group, attribute).get(attribute) or []
    keys = _dns({attribute: values}, attribute)
    wanted = dn_key(member)
    return [value for value, key in zip(values, keys, strict=True) if key == wanted]


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
