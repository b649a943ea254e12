"""groupOfUniqueNames groups: their uniqueMember values (some with an optional UID, RFC 4517
NameAndOptionalUID) are read as members, and Admin Center membership changes are written to the
attribute each group's object class allows, whatever the order of the configured attributes."""

import pytest

from directory import changes
from directory.changes import Actor
from directory.models import DirectoryEvent, DirectoryObject
from ldapsync.models import DirectoryConnection
from ldapsync.sync import sync_store
from tests.support.ldap_server import directory_values, group_dn, person_dn

pytest_plugins = ["tests.support.ldap_server"]

UID = "#'0101'B"


@pytest.fixture
def unique_group(slapd):
    """cn=reviewers, a groupOfUniqueNames: Alice with a UID suffix, Bob without."""
    slapd.modify(
        f"dn: {group_dn('reviewers')}\nchangetype: add\nobjectClass: groupOfUniqueNames\n"
        f"cn: reviewers\nuniqueMember: {person_dn('alice')}{UID}\n"
        f"uniqueMember: {person_dn('bob')}\n"
    )
    return group_dn("reviewers")


@pytest.fixture(params=["member uniqueMember", "uniqueMember member"])
def synced(request, ldap_store, unique_group):
    """The store synced, with the member attributes configured in either order."""
    DirectoryConnection.objects.filter(store=ldap_store).update(member_attributes=request.param)
    sync_store(ldap_store)
    return ldap_store


def obj(store, name):
    return DirectoryObject.objects.get(store=store, name=name)


def member_names(group):
    return sorted(link.member.name for link in group.member_links.select_related("member"))


def test_it_reads_unique_members_with_and_without_a_uid(ldap_store, unique_group):
    result = sync_store(ldap_store)

    assert member_names(obj(ldap_store, "reviewers")) == ["Alice Engineer", "Bob Engineer"]
    assert result.counts["unresolved"] == 0


def test_it_reads_a_uid_added_by_an_incremental_sync(ldap_store, unique_group, slapd):
    sync_store(ldap_store)
    slapd.modify(
        f"dn: {unique_group}\nchangetype: modify\nadd: uniqueMember\n"
        f"uniqueMember: {person_dn('carol')}#'1'B\n"
    )

    result = sync_store(ldap_store, reconcile_now=False)

    assert result.kind == "incremental"
    assert "Carol Manager" in member_names(obj(ldap_store, "reviewers"))
    assert result.counts["unresolved"] == 0


def test_it_adds_a_member_to_unique_member(synced, slapd, ldap_admin):
    changes.add_member(obj(synced, "reviewers"), obj(synced, "Frank Solo"), Actor(ldap_admin))

    assert directory_values(slapd, group_dn("reviewers"), "uniqueMember") == [
        (person_dn("alice") + UID).lower(),
        person_dn("bob"),
        person_dn("frank"),
    ]
    sync_store(synced, full=True)
    assert DirectoryEvent.objects.count() == 1  # the written change is not reported again


def test_it_removes_a_member_from_unique_member(synced, slapd, ldap_admin):
    changes.remove_member(obj(synced, "reviewers"), obj(synced, "Bob Engineer"), Actor(ldap_admin))

    assert directory_values(slapd, group_dn("reviewers"), "uniqueMember") == [
        (person_dn("alice") + UID).lower()
    ]


def test_it_removes_a_member_whose_value_carries_a_uid(synced, slapd, ldap_admin):
    reviewers, alice = obj(synced, "reviewers"), obj(synced, "Alice Engineer")

    changes.remove_member(reviewers, alice, Actor(ldap_admin))

    assert directory_values(slapd, group_dn("reviewers"), "uniqueMember") == [person_dn("bob")]
    assert member_names(reviewers) == ["Bob Engineer"]
    sync_store(synced, full=True)
    assert member_names(obj(synced, "reviewers")) == ["Bob Engineer"]


def test_a_group_of_names_still_gets_member(synced, slapd, ldap_admin):
    engineering = obj(synced, "engineering")

    changes.add_member(engineering, obj(synced, "Frank Solo"), Actor(ldap_admin))
    changes.remove_member(engineering, obj(synced, "Bob Engineer"), Actor(ldap_admin))

    assert directory_values(slapd, group_dn("engineering"), "member") == [
        person_dn("alice"),
        person_dn("frank"),
    ]
    assert directory_values(slapd, group_dn("engineering"), "uniqueMember") == []
