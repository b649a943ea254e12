"""Admin Center changes to an LDAP store go to the directory first; a refusal leaves both sides
as they were and is shown to the admin."""

import pytest
from django.urls import reverse

from identitystores import changes
from identitystores.changes import Actor, ChangeError
from identitystores.directory import AdditionalOwner, DirectoryObject, GroupMembership
from ldapsync.sync import sync_store
from notifications.events import DirectoryEvent, Route
from tests.ldap_server import directory_values, group_dn, person_dn

pytest_plugins = ["tests.ldap_server"]


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

    with pytest.raises(ChangeError, match="objectClassViolation"):
        changes.remove_member(solo, frank, Actor(ldap_admin))  # a groupOfNames cannot be empty

    assert GroupMembership.objects.filter(group=solo, member=frank).exists()
    assert directory_values(slapd, group_dn("solo"), "member") == [person_dn("frank")]
    assert not DirectoryEvent.objects.exists()


def test_it_shows_the_refusal_on_the_object_page(synced, ldap_admin, client):
    solo, frank = obj(synced, "solo"), obj(synced, "Frank Solo")
    client.force_login(ldap_admin)
    url = reverse("identitystores:directory_object", args=[synced.pk, solo.pk])

    page = client.post(url, {"action": "remove_member", "target": frank.pk}, follow=True)

    assert "The directory refused the change" in page.content.decode()
    assert GroupMembership.objects.filter(group=solo, member=frank).exists()


def test_it_keeps_everything_when_the_directory_is_down(synced, slapd, ldap_admin):
    engineering, frank = obj(synced, "engineering"), obj(synced, "Frank Solo")
    slapd.stop()

    with pytest.raises(ChangeError, match="connection refused"):
        changes.add_member(engineering, frank, Actor(ldap_admin))

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
