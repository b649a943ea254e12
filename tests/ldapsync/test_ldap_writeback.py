"""Admin Center changes to an LDAP store go to the directory first; a refusal leaves both sides
as they were and is shown to the admin."""

import html

import pytest
from django.urls import reverse

from directory import changes
from directory.changes import Actor, ChangeError
from directory.models import (
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    EventKind,
    GroupMembership,
    Route,
)
from ldapsync.models import DirectoryConnection
from ldapsync.refusal import Change, Refused, message
from ldapsync.sync import sync_store
from tests.support.ldap_server import (
    LIMITED_DN,
    LIMITED_PASSWORD,
    directory_values,
    group_dn,
    person_dn,
)

pytest_plugins = ["tests.support.ldap_server"]


@pytest.fixture
def synced(ldap_store):
    sync_store(ldap_store)
    return ldap_store


def obj(store, name):
    return DirectoryObject.objects.get(store=store, name=name)


def test_it_adds_a_member_in_the_directory_then_here(synced, slapd, ldap_admin):
    engineering, frank = obj(synced, "engineering"), obj(synced, "Frank Solo")

    changes.add_member(engineering, frank, Actor(ldap_admin))

    assert person_dn("frank") in directory_values(slapd, group_dn("engineering"), "member")
    assert GroupMembership.objects.filter(group=engineering, member=frank).exists()
    event = DirectoryEvent.objects.get()
    assert (event.route, event.actor) == (Route.ADMIN_CENTER, ldap_admin)


def test_it_does_not_notify_again_when_sync_reads_the_written_change(synced, ldap_admin):
    changes.add_member(obj(synced, "engineering"), obj(synced, "Frank Solo"), Actor(ldap_admin))

    sync_store(synced, reconcile_now=True)
    sync_store(synced, full=True)

    assert DirectoryEvent.objects.count() == 1


def test_it_removes_a_member_in_the_directory(synced, slapd, ldap_admin):
    engineering, bob = obj(synced, "engineering"), obj(synced, "Bob Engineer")

    changes.remove_member(engineering, bob, Actor(ldap_admin))

    assert directory_values(slapd, group_dn("engineering"), "member") == [person_dn("alice")]


def test_it_writes_managers_primary_first(synced, slapd, ldap_admin):
    bob, dave = obj(synced, "Bob Engineer"), obj(synced, "Dave Director")

    changes.set_primary_manager(bob, dave, Actor(ldap_admin))
    changes.add_additional_manager(bob, obj(synced, "Carol Manager"), Actor(ldap_admin))

    assert directory_values(slapd, person_dn("bob"), "manager") == sorted(
        [person_dn("dave"), person_dn("carol")]
    )
    sync_store(synced, full=True)
    assert obj(synced, "Bob Engineer").primary_manager == dave


def test_it_writes_owners(synced, slapd, ldap_admin):
    solo, erin = obj(synced, "solo"), obj(synced, "Erin Analyst")

    changes.set_primary_owner(solo, erin, Actor(ldap_admin))

    assert directory_values(slapd, group_dn("solo"), "owner") == [person_dn("erin")]
    engineering = obj(synced, "engineering")
    changes.remove_additional_owner(engineering, obj(synced, "Dave Director"), Actor(ldap_admin))
    assert directory_values(slapd, group_dn("engineering"), "owner") == [person_dn("carol")]
    assert not AdditionalOwner.objects.filter(group=engineering).exists()


def test_it_applies_nothing_when_the_directory_refuses(synced, slapd, ldap_admin):
    solo, frank = obj(synced, "solo"), obj(synced, "Frank Solo")

    with pytest.raises(ChangeError) as refused:
        changes.remove_member(solo, frank, Actor(ldap_admin))  # a groupOfNames cannot be empty

    assert str(refused.value) == (
        "Removing Frank Solo from solo was refused: the directory keeps at least one member in "
        "this group; add another member before removing Frank Solo. The directory said: "
        "objectClassViolation (result 65): object class 'groupOfNames' requires attribute 'member'"
    )
    assert GroupMembership.objects.filter(group=solo, member=frank).exists()
    assert directory_values(slapd, group_dn("solo"), "member") == [person_dn("frank")]
    assert not DirectoryEvent.objects.exists()


def test_it_shows_the_refusal_on_the_object_page(synced, ldap_admin, client):
    solo, frank = obj(synced, "solo"), obj(synced, "Frank Solo")
    client.force_login(ldap_admin)
    url = reverse("directory:object", args=[synced.pk, solo.pk])

    data = {"action": "remove_member", "target": frank.pk, "confirm": "yes"}
    page = client.post(url, data, follow=True)

    text = html.unescape(page.content.decode())
    assert "Removing Frank Solo from solo was refused: the directory keeps at least one" in text
    assert "objectClassViolation (result 65)" in text
    assert GroupMembership.objects.filter(group=solo, member=frank).exists()


def test_it_explains_the_last_member_of_a_group_of_unique_names(ldap_store, slapd, ldap_admin):
    slapd.modify(
        f"dn: {group_dn('reviewers')}\nchangetype: add\nobjectClass: groupOfUniqueNames\n"
        f"cn: reviewers\nuniqueMember: {person_dn('erin')}\n"
    )
    sync_store(ldap_store)
    reviewers, erin = obj(ldap_store, "reviewers"), obj(ldap_store, "Erin Analyst")

    with pytest.raises(ChangeError) as refused:
        changes.remove_member(reviewers, erin, Actor(ldap_admin))

    assert str(refused.value).startswith(
        "Removing Erin Analyst from reviewers was refused: the directory keeps at least one "
        "member in this group; add another member before removing Erin Analyst. The directory "
        "said: objectClassViolation (result 65): "
    )
    assert "uniqueMember" in str(refused.value)
    assert directory_values(slapd, group_dn("reviewers"), "uniqueMember") == [person_dn("erin")]


def test_it_asks_for_write_access_when_the_service_account_lacks_it(synced, slapd, ldap_admin):
    DirectoryConnection.objects.filter(store=synced).update(
        bind_dn=LIMITED_DN, bind_password=LIMITED_PASSWORD
    )
    engineering, frank = obj(synced, "engineering"), obj(synced, "Frank Solo")

    with pytest.raises(ChangeError) as refused:
        changes.add_member(engineering, frank, Actor(ldap_admin))

    assert str(refused.value).startswith(
        f"Adding Frank Solo to engineering was refused: the directory's service account "
        f"({LIMITED_DN}) may not change this group; ask your directory administrator to grant "
        "it write access to member. The directory said: insufficientAccessRights (result 50)"
    )
    assert not GroupMembership.objects.filter(group=engineering, member=frank).exists()
    assert person_dn("frank") not in directory_values(slapd, group_dn("engineering"), "member")


def test_it_says_when_the_entry_is_gone_from_the_directory(synced, slapd, ldap_admin):
    slapd.modify(f"dn: {group_dn('engineering')}\nchangetype: delete\n")
    engineering, frank = obj(synced, "engineering"), obj(synced, "Frank Solo")

    with pytest.raises(ChangeError) as refused:
        changes.add_member(engineering, frank, Actor(ldap_admin))

    assert str(refused.value).startswith(
        f"Adding Frank Solo to engineering was refused: engineering is no longer at "
        f"{group_dn('engineering')} in the directory (deleted or moved since the last sync); the "
        "next sync brings the Admin Center up to date. The directory said: noSuchObject "
        "(result 32)"
    )
    assert not GroupMembership.objects.filter(group=engineering, member=frank).exists()


def test_it_says_when_a_named_entry_is_gone(synced):
    """Active Directory refuses a member or owner DN that no longer exists with noSuchObject,
    the entry changed being there."""
    change = Change(EventKind.OWNER_SET, obj(synced, "solo"), obj(synced, "Erin Analyst"))
    refused = Refused(
        {"result": 32, "description": "noSuchObject", "message": "0000208D: NameErr"},
        group_dn("solo"),
        "owner",
    )

    assert message(change, refused, "cn=sync") == (
        "Making Erin Analyst the primary owner of solo was refused: an entry this change names "
        "is no longer in the directory (deleted or moved since the last sync); the next sync "
        "brings the Admin Center up to date. The directory said: noSuchObject (result 32): "
        "0000208D: NameErr"
    )


def test_it_explains_a_constraint_violation(synced, slapd, ldap_admin):
    # displayName holds one value only (inetOrgPerson): a second manager breaks that constraint.
    DirectoryConnection.objects.filter(store=synced).update(
        manager_attribute="displayName", additional_manager_attribute="displayName"
    )
    bob = obj(synced, "Bob Engineer")
    changes.set_primary_manager(bob, obj(synced, "Dave Director"), Actor(ldap_admin))

    with pytest.raises(ChangeError) as refused:
        changes.add_additional_manager(bob, obj(synced, "Carol Manager"), Actor(ldap_admin))

    assert str(refused.value) == (
        "Adding Carol Manager as an additional manager of Bob Engineer was refused: the "
        "directory's constraints on displayName do not allow the new value (for example, the "
        "attribute holds only one value). The directory said: constraintViolation (result 19): "
        "displayName: multiple values provided"
    )
    assert directory_values(slapd, person_dn("bob"), "displayName") == [person_dn("dave")]


def test_it_keeps_everything_when_the_directory_is_down(synced, slapd, ldap_admin):
    engineering, frank = obj(synced, "engineering"), obj(synced, "Frank Solo")
    slapd.stop()

    with pytest.raises(ChangeError) as failed:
        changes.add_member(engineering, frank, Actor(ldap_admin))

    assert str(failed.value).startswith(
        "Adding Frank Solo to engineering failed: the directory could not be updated: "
    )
    assert "nothing answered (refused or timed out)" in str(failed.value)

    assert not GroupMembership.objects.filter(group=engineering, member=frank).exists()


def test_it_refuses_a_member_that_is_not_in_the_directory(synced, ldap_admin, make_object):
    local = make_object("user", "Local Only", "local@example.test", store=synced)

    with pytest.raises(ChangeError, match="exists only in the Admin Center"):
        changes.add_member(obj(synced, "engineering"), local, Actor(ldap_admin))

    assert not GroupMembership.objects.filter(member=local).exists()


def test_it_does_not_write_back_changes_that_came_from_sync(synced, slapd):
    slapd.stop()  # any attempt to write would fail

    changes.add_member(
        obj(synced, "engineering"), obj(synced, "Frank Solo"), Actor(route=Route.DIRECTORY_SYNC)
    )

    assert GroupMembership.objects.filter(member=obj(synced, "Frank Solo")).count() == 2


def test_it_accepts_a_member_the_directory_already_has(synced, slapd, ldap_admin):
    engineering, frank = obj(synced, "engineering"), obj(synced, "Frank Solo")
    slapd.modify(
        f"dn: {group_dn('engineering')}\nchangetype: modify\nadd: member\n"
        f"member: {person_dn('frank')}\n"
    )

    changes.add_member(engineering, frank, Actor(ldap_admin))

    assert GroupMembership.objects.filter(group=engineering, member=frank).exists()
    assert directory_values(slapd, group_dn("engineering"), "member").count(person_dn("frank")) == 1
    sync_store(synced, full=True)
    assert DirectoryEvent.objects.count() == 1  # the Admin Center change, not again by sync


def test_it_accepts_removing_a_member_the_directory_no_longer_has(synced, slapd, ldap_admin):
    engineering, bob = obj(synced, "engineering"), obj(synced, "Bob Engineer")
    slapd.modify(
        f"dn: {group_dn('engineering')}\nchangetype: modify\ndelete: member\n"
        f"member: {person_dn('bob')}\n"
    )

    changes.remove_member(engineering, bob, Actor(ldap_admin))

    assert not GroupMembership.objects.filter(group=engineering, member=bob).exists()
    assert directory_values(slapd, group_dn("engineering"), "member") == [person_dn("alice")]
