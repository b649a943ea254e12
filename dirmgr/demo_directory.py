"""A small directory for each demo store, so every kind of notification can be tried at once:
users with primary and additional managers, public and private groups with primary and
additional owners, a group nested in another, a contact, a user who is not mail-enabled and,
where the store allows it, a password-expiry group.

Everything is made through `directory.changes`, like any other change, so the store history says
where it came from — but with an Actor that does not notify: loading the demo sends no mail.
Each object is looked up by kind and name first and each relation is added only when missing,
so loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from directory import changes
from directory.changes import Actor
from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryObject,
    GroupMembership,
    Route,
)
from identitystores.models import IdentityStore
from lifecycle.models import PasswordExpiryGroup

ACTOR = Actor(route=Route.MANAGEMENT_SHELL, notify=False)
PUBLIC = DirectoryObject.SecurityType.PUBLIC
PRIVATE = DirectoryObject.SecurityType.PRIVATE

# (name, mailbox or "" for none, primary manager, additional managers)
USERS = [
    ("Megan Bowen", "megan.bowen", None, []),
    ("Adele Vance", "adele.vance", "Megan Bowen", []),
    ("Alex Wilber", "alex.wilber", "Adele Vance", ["Megan Bowen"]),
    ("Lynne Robbins", "lynne.robbins", "Adele Vance", []),
    ("Diego Siciliani", "", "Megan Bowen", []),
]
CONTACT = ("Patti Fernandez", "patti@partners.test")
# (name, mailbox, security type, primary owner, additional owners, members)
GROUPS = [
    ("Sales", "sales", PUBLIC, "Adele Vance", ["Megan Bowen"], ["Alex Wilber", "Patti Fernandez"]),
    ("Engineering", "eng", PRIVATE, "Megan Bowen", [], ["Lynne Robbins", "Diego Siciliani"]),
    ("All Staff", "all-staff", PRIVATE, "Megan Bowen", ["Sales"], ["Sales", "Engineering"]),
]
PASSWORD_GROUP = "Password Expiring Soon"
EXPIRING_USER = "Lynne Robbins"


def fill(store: IdentityStore, domain: str) -> None:
    """Create what is missing of the demo directory in `store` (call inside a transaction)."""
    objects: dict[str, DirectoryObject] = {}
    for name, mailbox, _, _ in USERS:
        objects[name] = _user(store, name, mailbox, domain)
    objects[CONTACT[0]] = _object(store, "contact", CONTACT[0], email=CONTACT[1])
    for name, mailbox, security, *_ in GROUPS:
        objects[name] = _object(
            store, "group", name, email=f"{mailbox}@{domain}", security_type=security
        )
    for name, _, manager, additional in USERS:
        _managers(objects[name], manager and objects[manager], [objects[a] for a in additional])
    for name, _, _, owner, additional, members in GROUPS:
        group = objects[name]
        _owners(group, objects[owner], [objects[a] for a in additional])
        for member in members:
            _member(group, objects[member])
    if store.supports_password_expiry:
        _password_group(store, objects[EXPIRING_USER])


def _user(store: IdentityStore, name: str, mailbox: str, domain: str) -> DirectoryObject:
    if not mailbox:
        return _object(store, "user", name, mail_enabled=False)
    return _object(store, "user", name, email=f"{mailbox}@{domain}")


def _object(store: IdentityStore, kind: str, name: str, **values) -> DirectoryObject:
    found = DirectoryObject.objects.filter(store=store, kind=kind, name=name).first()
    return found or changes.create_object(store, ACTOR, kind, name=name, **values)


def _managers(user: DirectoryObject, primary, additional: list[DirectoryObject]) -> None:
    if primary:
        changes.set_primary_manager(user, primary, ACTOR)
    for manager in additional:
        if not AdditionalManager.objects.filter(user=user, manager=manager).exists():
            changes.add_additional_manager(user, manager, ACTOR)


def _owners(group: DirectoryObject, primary, additional: list[DirectoryObject]) -> None:
    changes.set_primary_owner(group, primary, ACTOR)
    for owner in additional:
        if not AdditionalOwner.objects.filter(group=group, owner=owner).exists():
            changes.add_additional_owner(group, owner, ACTOR)


def _member(group: DirectoryObject, member: DirectoryObject) -> None:
    if not GroupMembership.objects.filter(group=group, member=member).exists():
        changes.add_member(group, member, ACTOR)


def _password_group(store: IdentityStore, expiring: DirectoryObject) -> None:
    """The store's password-expiry group, and one user whose password expires within its window,
    so the next password-expiry run has someone to warn."""
    group = _object(store, "group", PASSWORD_GROUP, security_type=PRIVATE)
    PasswordExpiryGroup.objects.get_or_create(store=store, defaults={"group": group})
    if expiring.password_expires is None:
        changes.update_attributes(
            expiring, ACTOR, password_expires=timezone.now() + timedelta(days=5)
        )
