"""The first import: pages of users, contacts and groups arrive from two reader processes in
whatever order they are ready; the result must not depend on that order, and a failure of
either reader must leave nothing behind."""

import pytest

from directory.models import DirectoryObject, GroupMembership
from identitystores.models import AuditEntry, IdentityStore
from ldapsync.connection import DirectoryError
from ldapsync.importer import bulk_import
from ldapsync.mapping import Record
from ldapsync.models import DirectoryConnection
from ldapsync.sync import sync_store

pytest_plugins = ["tests.support.ldap_server"]

BASE = "dc=example,dc=test"


def dn(rdn: str) -> str:
    return f"{rdn},{BASE}"


def user(name: str, manager: str = "") -> Record:
    return Record(
        kind="user",
        external_id=f"id-{name}",
        dn=dn(f"uid={name}"),
        name=name,
        email=f"{name}@example.test",
        managers=[dn(f"uid={manager}")] if manager else [],
    )


def group(name: str, *members: str, owner: str = "") -> Record:
    return Record(
        kind="group",
        external_id=f"id-{name}",
        dn=dn(f"cn={name}"),
        name=name,
        members=[dn(m) for m in members],
        owners=[dn(f"uid={owner}")] if owner else [],
    )


def pages() -> dict[str, list[Record]]:
    return {
        "users": [user("ann"), user("ben", manager="ann"), user("cy", manager="ann")],
        "groups": [
            # every member twice over two attributes, a group nested before it arrives, itself,
            # and a DN outside the directory
            group("all", "uid=ann", "uid=ben", "cn=sales", "cn=all", "uid=ghost", owner="cy"),
            group("sales", "uid=ben", "uid=cy", "uid=ben"),
        ],
    }


def imported(store: IdentityStore, order: list[list[Record]]) -> tuple[dict, dict]:
    """The counts, and what the store holds, by name."""
    counts, _highest = bulk_import(store, order)
    links = GroupMembership.objects.filter(group__store=store).select_related("group", "member")
    objects = DirectoryObject.objects.filter(store=store).select_related(
        "primary_manager", "primary_owner"
    )
    state = {
        "members": {(m.group.name, m.member.name, m.member_is_group) for m in links},
        "managers": {(o.name, o.primary_manager.name) for o in objects if o.primary_manager},
        "owners": {(o.name, o.primary_owner.name) for o in objects if o.primary_owner},
    }
    return state, counts


@pytest.mark.django_db
def test_the_import_is_the_same_whichever_kind_arrives_first():
    p = pages()
    users_first = [p["users"][:2], p["groups"][:1], p["users"][2:], p["groups"][1:]]
    groups_first = [p["groups"][1:], p["groups"][:1], p["users"][2:], p["users"][:2]]
    results = [
        imported(IdentityStore.objects.create(name=f"S{i}", type=IdentityStore.Type.LDAP), order)
        for i, order in enumerate((users_first, groups_first))
    ]

    assert results[0] == results[1]
    state, counts = results[0]
    assert state == {
        "members": {
            ("all", "ann", False),
            ("all", "ben", False),
            ("all", "sales", True),
            ("sales", "ben", False),
            ("sales", "cy", False),
        },
        "managers": {("ben", "ann"), ("cy", "ann")},
        "owners": {("all", "cy")},
    }
    assert counts == {"users": 3, "contacts": 0, "groups": 2, "members": 5, "unresolved": 1}


def test_a_failing_group_reader_leaves_nothing_behind(ldap_store):
    conn = DirectoryConnection.objects.get(store=ldap_store)
    conn.group_filter = "(objectClass=groupOfNames"  # the users reader is fine; this one fails
    conn.save()

    with pytest.raises(DirectoryError, match="invalid filter"):
        sync_store(ldap_store)

    assert not DirectoryObject.objects.filter(store=ldap_store).exists()
    assert not AuditEntry.objects.filter(action="directory.imported").exists()
