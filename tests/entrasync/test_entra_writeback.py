"""Write-back: Admin Center changes to synced Entra ID objects reach Graph first; a refusal
rolls the change back here with the reason in plain words."""

import pytest

from directory import changes
from directory.changes import Actor, ChangeError
from directory.models import AdditionalOwner, DirectoryEvent, DirectoryObject, GroupMembership
from entrasync.sync import sync_store
from tests.support.entra import ALICE, ALL_STAFF, BOB, CAROL, DAVE, ENGINEERING, ERIN


def obj(store, external_id):
    return DirectoryObject.objects.get(store=store, external_id=external_id)


def test_it_adds_a_member_in_graph_then_here(synced, graph, bob):
    changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    assert ERIN in graph.members[ENGINEERING]
    assert ("POST", f"/v1.0/groups/{ENGINEERING}/members/$ref") in graph.requests
    assert GroupMembership.objects.filter(member=obj(synced, ERIN)).exists()


def test_it_removes_a_member_in_graph(synced, graph, bob):
    changes.remove_member(obj(synced, ENGINEERING), obj(synced, BOB), Actor(bob))

    assert graph.members[ENGINEERING] == [ALICE]
    assert ("DELETE", f"/v1.0/groups/{ENGINEERING}/members/{BOB}/$ref") in graph.requests


def test_sync_does_not_notify_again_for_a_written_change(synced, graph, bob):
    changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))
    events = DirectoryEvent.objects.count()

    sync_store(synced)

    assert DirectoryEvent.objects.count() == events


def test_a_member_already_added_in_graph_is_added_here_too(synced, graph, bob):
    graph.add_member(ENGINEERING, ERIN)

    changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    assert GroupMembership.objects.filter(member=obj(synced, ERIN)).exists()


def test_it_sets_and_clears_the_manager(synced, graph, bob):
    changes.set_primary_manager(obj(synced, ERIN), obj(synced, DAVE), Actor(bob))
    assert graph.managers[ERIN] == DAVE

    changes.set_primary_manager(obj(synced, ALICE), None, Actor(bob))
    assert ALICE not in graph.managers
    assert ("DELETE", f"/v1.0/users/{ALICE}/manager/$ref") in graph.requests


def test_owners_in_graph_become_the_owners_held_here(synced, graph, bob):
    engineering = obj(synced, ENGINEERING)
    changes.add_additional_owner(engineering, obj(synced, DAVE), Actor(bob))
    assert graph.owners[ENGINEERING] == [CAROL, DAVE]

    changes.set_primary_owner(engineering, obj(synced, ALICE), Actor(bob))
    assert sorted(graph.owners[ENGINEERING]) == sorted([ALICE, DAVE])


def test_removing_the_last_owner_is_refused_and_rolled_back(synced, graph, bob):
    engineering = obj(synced, ENGINEERING)

    with pytest.raises(ChangeError) as refused:
        changes.set_primary_owner(engineering, None, Actor(bob))

    assert refused.value.message.startswith(
        "Clearing the primary owner of Engineering was refused: Entra ID keeps at least one "
        "owner in every group; add another owner first. Microsoft Graph answered HTTP 400"
    )
    engineering.refresh_from_db()
    assert engineering.primary_owner == obj(synced, CAROL)
    assert graph.owners[ENGINEERING] == [CAROL]


def test_a_missing_permission_is_refused_naming_it(synced, graph, bob):
    graph.roles = ("User.Read.All", "Group.Read.All")

    with pytest.raises(ChangeError) as refused:
        changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    message = refused.value.message
    assert message.startswith("Adding Erin Nomail to Engineering was refused: ")
    assert "GroupMember.ReadWrite.All" in message
    assert "App registrations → API permissions → Grant admin consent" in message
    assert "Authorization_RequestDenied" in message
    assert not GroupMembership.objects.filter(member=obj(synced, ERIN)).exists()


def test_a_manager_change_without_permission_names_user_readwrite(synced, graph, bob):
    graph.roles = ("User.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All")

    with pytest.raises(ChangeError, match="User.ReadWrite.All"):
        changes.set_primary_manager(obj(synced, ERIN), obj(synced, DAVE), Actor(bob))

    assert obj(synced, ERIN).primary_manager is None


def test_an_object_gone_from_graph_is_refused_and_rolled_back(synced, graph, bob):
    all_staff = obj(synced, ALL_STAFF)
    graph.delete(ALL_STAFF)

    with pytest.raises(ChangeError) as refused:
        changes.add_member(all_staff, obj(synced, ERIN), Actor(bob))

    assert "no longer in Entra ID (deleted since the last sync)" in refused.value.message
    assert "Request_ResourceNotFound" in refused.value.message
    assert not all_staff.member_links.filter(member=obj(synced, ERIN)).exists()


def test_the_secret_never_appears_in_a_refusal(synced, graph, bob):
    conn = synced.entra_connection
    conn.client_secret = "entra-Secret~mistyped"
    conn.save()

    with pytest.raises(ChangeError) as refused:
        changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    assert "client secret is wrong (AADSTS7000215)" in refused.value.message
    assert "entra-Secret" not in refused.value.message


def test_local_objects_are_not_written(synced, graph, bob):
    local = changes.create_object(synced, Actor(bob), "user", name="Local only")
    group = changes.create_object(synced, Actor(bob), "group", name="Local group")
    count = len(graph.requests)

    changes.add_member(group, local, Actor(bob))

    assert len(graph.requests) == count
    with pytest.raises(ChangeError, match="exists only in the Admin Center"):
        changes.add_member(obj(synced, ENGINEERING), local, Actor(bob))
    assert not AdditionalOwner.objects.filter(owner=local).exists()
