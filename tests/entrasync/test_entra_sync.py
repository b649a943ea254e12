"""Sync of an Entra ID store through the loopback Graph server: the first import, delta passes
with `@removed` and `members@delta`, the fallback when a delta link expires, throttling."""

import pytest

from directory.models import (
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    EventKind,
    Route,
)
from entrasync.errors import EntraError
from entrasync.models import EntraSyncStatus
from entrasync.sync import sync_store
from identitystores.models import AuditEntry
from notifications.models import OutgoingMessage
from tests.support.entra import ALICE, ALL_STAFF, BOB, CAROL, DAVE, ENGINEERING, ERIN
from tests.support.servers.graph import group_id, user_id


def obj(store, external_id):
    return DirectoryObject.objects.get(store=store, external_id=external_id)


def member_ids(group):
    return sorted(group.member_links.values_list("member__external_id", flat=True))


def test_it_imports_users_groups_members_owners_and_managers(entra_store, graph):
    result = sync_store(entra_store)

    assert result.kind == "import"
    assert result.counts == {"users": 5, "groups": 2, "members": 5, "unresolved": 0}
    alice = obj(entra_store, ALICE)
    assert (alice.name, alice.email, alice.language) == (
        "Alice Engineer",
        "alice@fabrikam.test",
        "de",
    )
    assert alice.primary_manager == obj(entra_store, CAROL)
    assert obj(entra_store, ERIN).email == ""
    engineering = obj(entra_store, ENGINEERING)
    assert engineering.security_type == DirectoryObject.SecurityType.PUBLIC
    assert engineering.primary_owner == obj(entra_store, CAROL)
    assert member_ids(engineering) == sorted([ALICE, BOB])
    all_staff = obj(entra_store, ALL_STAFF)
    assert all_staff.security_type == DirectoryObject.SecurityType.PRIVATE
    assert member_ids(all_staff) == sorted([CAROL, DAVE, ENGINEERING])
    assert all_staff.member_links.get(member=engineering).member_is_group


def test_it_follows_every_page_with_select(entra_store, graph):
    sync_store(entra_store)

    gets = graph.graph_requests("GET")
    assert gets[0].startswith("/v1.0/users/delta?$select=id,displayName,mail,")
    assert "manager" in gets[0] and "members,owners" in [g for g in gets if "groups" in g][0]
    # 5 users at 2 a page; 2 groups whose members come 2 a page (All staff spans 2 entries)
    assert sum("users/delta" in g for g in gets) == 3
    assert sum("groups/delta" in g for g in gets) == 3
    assert sum("$skiptoken=" in g for g in gets) == 4


def test_it_does_not_notify_for_the_initial_import(entra_store, mail_to_helpdesk):
    sync_store(entra_store)

    assert not DirectoryEvent.objects.filter(store=entra_store).exists()
    assert not OutgoingMessage.objects.exists()
    entry = AuditEntry.objects.get(store=entra_store, action="directory.imported", field="users")
    assert entry.new_value == "5"


def test_it_keeps_the_delta_links(synced, graph):
    status = EntraSyncStatus.objects.get(store=synced)
    assert status.last_kind == "import"
    assert "/users/delta?$deltatoken=" in status.users_delta_link
    assert "/groups/delta?$deltatoken=" in status.groups_delta_link


def test_a_delta_pass_applies_changes_and_notifies_as_ldap_does(synced, graph, mail_to_helpdesk):
    graph.update_user(ALICE, mail="alice.e@fabrikam.test")
    graph.add_member(ENGINEERING, DAVE)
    graph.remove_member(ENGINEERING, BOB)
    graph.add_user(user_id(9), "Grace New", "grace@fabrikam.test")
    graph.set_manager(user_id(9), DAVE)

    result = sync_store(synced)

    assert result.kind == "incremental"
    assert obj(synced, ALICE).email == "alice.e@fabrikam.test"
    assert member_ids(obj(synced, ENGINEERING)) == sorted([ALICE, DAVE])
    assert obj(synced, user_id(9)).primary_manager == obj(synced, DAVE)
    events = DirectoryEvent.objects.filter(store=synced)
    assert set(events.values_list("route", flat=True)) == {Route.DIRECTORY_SYNC}
    assert sorted(events.values_list("kind", flat=True)) == sorted([
        EventKind.UPDATED, EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED, EventKind.CREATED,
        EventKind.MANAGER_SET,
    ])  # fmt: skip
    assert OutgoingMessage.objects.filter(to__contains="helpdesk@fabrikam.test").count() == 5
    assert any("$deltatoken=" in g for g in graph.graph_requests("GET"))


def test_a_delta_pass_reads_only_what_changed(synced, graph):
    graph.requests.clear()
    graph.add_member(ALL_STAFF, ERIN)

    result = sync_store(synced)

    assert result.counts["read"] == 1
    assert len(graph.graph_requests("GET")) == 2  # one delta page per collection


def test_removed_objects_leave_their_groups_then_go(synced, graph, mail_to_helpdesk):
    graph.delete(BOB)
    graph.delete(ALL_STAFF)

    result = sync_store(synced)

    assert result.counts["deleted"] == 2
    assert not DirectoryObject.objects.filter(external_id__in=[BOB, ALL_STAFF]).exists()
    assert member_ids(obj(synced, ENGINEERING)) == [ALICE]
    removed = DirectoryEvent.objects.filter(store=synced, kind=EventKind.MEMBER_REMOVED)
    assert removed.count() >= 1


def test_owner_changes_keep_the_primary_owner_while_it_is_one(synced, graph):
    graph.add_member(ENGINEERING, DAVE, "owners")

    sync_store(synced)

    engineering = obj(synced, ENGINEERING)
    assert engineering.primary_owner == obj(synced, CAROL)
    assert [o.owner.external_id for o in AdditionalOwner.objects.filter(group=engineering)] == [
        DAVE
    ]
    graph.remove_member(ENGINEERING, CAROL, "owners")

    sync_store(synced)

    engineering.refresh_from_db()
    assert engineering.primary_owner == obj(synced, DAVE)
    assert not AdditionalOwner.objects.filter(group=engineering).exists()


def test_an_expired_delta_link_falls_back_to_a_complete_pass(synced, graph):
    graph.expire_delta_tokens()
    graph.add_member(ENGINEERING, ERIN)
    graph.delete(DAVE)

    result = sync_store(synced)

    assert result.kind == "full (delta link expired)"
    assert member_ids(obj(synced, ENGINEERING)) == sorted([ALICE, BOB, ERIN])
    assert not DirectoryObject.objects.filter(external_id=DAVE).exists()
    status = EntraSyncStatus.objects.get(store=synced)
    assert int(status.users_delta_link.rsplit("=", 1)[1]) >= graph.delta_floor
    assert sync_store(synced).kind == "incremental"


def test_throttling_waits_for_retry_after_then_goes_on(synced, graph, settings):
    graph.retry_after = 1
    graph.throttle(2, status=429)
    graph.throttle(1, status=503)
    graph.add_member(ALL_STAFF, ERIN)

    result = sync_store(synced)

    assert result.kind == "incremental"
    assert ERIN in member_ids(obj(synced, ALL_STAFF))


def test_throttling_longer_than_allowed_fails_the_pass_in_plain_words(synced, graph, settings):
    settings.ENTRA_GRAPH_MAX_WAIT_SECONDS = 5
    graph.retry_after = 600
    graph.throttle(1)

    with pytest.raises(EntraError, match="asked to wait 600 s") as failed:
        sync_store(synced)

    status = EntraSyncStatus.objects.get(store=synced)
    assert status.last_error == str(failed.value)


def test_a_member_group_seen_after_its_group_is_linked(entra_store, graph):
    late = group_id(7)
    graph.add_group(late, "Late group", members=[ERIN])
    graph.add_member(ALL_STAFF, late)
    graph.groups = {ALL_STAFF: graph.groups.pop(ALL_STAFF), **graph.groups}

    sync_store(entra_store)

    assert late in member_ids(obj(entra_store, ALL_STAFF))


def test_a_first_import_that_fails_midway_keeps_nothing(entra_store, graph, settings):
    settings.ENTRA_GRAPH_MAX_WAIT_SECONDS = 5
    graph.retry_after = 600
    graph.throttle(1)

    with pytest.raises(EntraError, match="asked to wait 600 s"):
        sync_store(entra_store)

    assert not DirectoryObject.objects.filter(store=entra_store).exists()
    assert EntraSyncStatus.objects.get(store=entra_store).users_delta_link == ""


def test_a_complete_pass_that_would_delete_most_objects_stops(synced, graph):
    graph.expire_delta_tokens()
    for object_id in (ALICE, BOB, CAROL, DAVE, ALL_STAFF):
        graph.delete(object_id)

    with pytest.raises(EntraError, match="Sync stopped: 5 of 7 objects are no longer listed"):
        sync_store(synced)

    assert DirectoryObject.objects.filter(store=synced).count() == 7


def test_a_link_to_another_host_is_not_followed(synced, graph):
    status = EntraSyncStatus.objects.get(store=synced)
    status.users_delta_link = "https://elsewhere.test/v1.0/users/delta?$deltatoken=1"
    status.save()

    with pytest.raises(EntraError, match=r"link to another host \(elsewhere.test\)"):
        sync_store(synced)


def test_a_delta_entry_with_only_what_changed_keeps_the_rest(synced):
    """With `Prefer: return=minimal` Graph sends only changed properties: absent ones stay."""
    from entrasync.apply import Applier
    from entrasync.mapping import Kind, merge

    entries: dict = {}
    merge(entries, Kind.USER, [{"id": ALICE, "manager@delta": [{"id": DAVE}]}])
    merge(entries, Kind.GROUP, [{"id": ENGINEERING, "members@delta": [{"id": ERIN}]}])

    Applier(synced, complete=False).apply(list(entries.values()))

    alice = obj(synced, ALICE)
    assert (alice.name, alice.email) == ("Alice Engineer", "alice@fabrikam.test")
    assert alice.primary_manager == obj(synced, DAVE)
    engineering = obj(synced, ENGINEERING)
    assert (engineering.name, engineering.email) == ("Engineering", "eng@fabrikam.test")
    assert member_ids(engineering) == sorted([ALICE, BOB, ERIN])
