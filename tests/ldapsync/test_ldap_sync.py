"""Sync from a real OpenLDAP server: first import, incremental passes, renames, deletes, the
server going away, and the size limit."""

import pytest

from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    EventKind,
    Route,
)
from identitystores.models import AuditEntry
from ldapsync.connection import DirectoryError
from ldapsync.models import DirectoryConnection, EntryLink, SyncStatus
from ldapsync.sync import sync_store
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.ldap_server import LIMITED_DN, LIMITED_PASSWORD, group_dn, person_dn

pytest_plugins = ["tests.support.ldap_server"]


def obj(store, name):
    return DirectoryObject.objects.get(store=store, name=name)


def member_names(group):
    return sorted(link.member.name for link in group.member_links.select_related("member"))


@pytest.fixture
def synced(ldap_store):
    sync_store(ldap_store)
    return ldap_store


@pytest.fixture
def mail_to_helpdesk(ldap_store):
    """Every notification of the store goes to the help desk (To:)."""
    return NotificationSettings.objects.create(
        store=ldap_store,
        smtp_host="127.0.0.1",
        from_email="directory@example.test",
        to_recipients="helpdesk@example.test",
    )


def test_it_imports_users_groups_members_owners_and_managers(ldap_store):
    result = sync_store(ldap_store)

    assert result.kind == "import"
    assert result.counts["users"] == 6
    assert result.counts["groups"] == 3
    alice, carol, dave = (
        obj(ldap_store, n) for n in ("Alice Engineer", "Carol Manager", "Dave Director")
    )
    assert alice.email == "alice@example.test"
    assert alice.primary_manager == carol
    erin = obj(ldap_store, "Erin Analyst")
    assert erin.primary_manager == carol
    assert [m.manager for m in AdditionalManager.objects.filter(user=erin)] == [dave]
    engineering = obj(ldap_store, "engineering")
    assert member_names(engineering) == ["Alice Engineer", "Bob Engineer"]
    assert engineering.primary_owner == carol
    assert [o.owner for o in AdditionalOwner.objects.filter(group=engineering)] == [dave]
    all_staff = obj(ldap_store, "all-staff")
    assert member_names(all_staff) == ["Carol Manager", "Dave Director", "engineering"]
    assert all_staff.member_links.get(member=engineering).member_is_group


def test_it_does_not_notify_for_the_initial_import(ldap_store, mail_to_helpdesk):
    sync_store(ldap_store)

    assert not DirectoryEvent.objects.filter(store=ldap_store).exists()
    assert not OutgoingMessage.objects.exists()
    entry = AuditEntry.objects.get(store=ldap_store, action="directory.imported", field="users")
    assert entry.new_value == "6"


def test_it_keeps_the_directory_identity(synced):
    alice = obj(synced, "Alice Engineer")
    assert alice.source == "ldap"
    assert len(alice.external_id) == 36  # entryUUID
    assert EntryLink.objects.get(object=alice).dn == person_dn("alice")


def test_it_shows_the_last_sync_on_the_status_line(synced):
    status = SyncStatus.objects.get(store=synced)
    assert status.last_kind == "import"
    assert status.last_counts["users"] == 6
    assert status.last_error == ""
    assert status.watermark.endswith("Z")


def test_it_applies_changes_found_by_an_incremental_sync(synced, slapd, mail_to_helpdesk):
    slapd.modify(
        f"dn: {person_dn('alice')}\nchangetype: modify\n"
        "replace: mail\nmail: alice.e@example.test\n\n"
        f"dn: {group_dn('engineering')}\nchangetype: modify\nadd: member\n"
        f"member: {person_dn('frank')}\n\n"
        f"dn: uid=grace,ou=people,dc=example,dc=test\nchangetype: add\nobjectClass: inetOrgPerson\n"
        f"uid: grace\ncn: Grace New\nsn: New\nmail: grace@example.test\n"
        f"manager: {person_dn('dave')}\n"
    )

    result = sync_store(synced, reconcile_now=False)

    assert result.kind == "incremental"
    assert obj(synced, "Alice Engineer").email == "alice.e@example.test"
    assert "Frank Solo" in member_names(obj(synced, "engineering"))
    grace = obj(synced, "Grace New")
    assert grace.primary_manager == obj(synced, "Dave Director")
    events = DirectoryEvent.objects.filter(store=synced)
    assert set(events.values_list("route", flat=True)) == {Route.DIRECTORY_SYNC}
    kinds = sorted(events.values_list("kind", flat=True))
    assert kinds == sorted(
        [EventKind.UPDATED, EventKind.MEMBER_ADDED, EventKind.CREATED, EventKind.MANAGER_SET]
    )
    assert OutgoingMessage.objects.filter(to__contains="helpdesk@example.test").count() == 4


def test_it_does_not_notify_twice_for_the_same_change(synced, slapd, mail_to_helpdesk):
    slapd.modify(
        f"dn: {person_dn('bob')}\nchangetype: modify\nreplace: mail\nmail: b@example.test\n"
    )
    sync_store(synced, reconcile_now=False)
    events, mails = DirectoryEvent.objects.count(), OutgoingMessage.objects.count()

    sync_store(synced, reconcile_now=True)  # re-reads the overlap window
    sync_store(synced, full=True)

    assert (DirectoryEvent.objects.count(), OutgoingMessage.objects.count()) == (events, mails)
    assert events == 1


def test_it_treats_a_rename_as_the_same_object(synced, slapd):
    bob = obj(synced, "Bob Engineer")
    slapd.modify(
        f"dn: {person_dn('bob')}\nchangetype: modrdn\nnewrdn: uid=robert\ndeleteoldrdn: 1\n\n"
        f"dn: {person_dn('robert')}\nchangetype: modify\nreplace: cn\ncn: Robert Engineer\n"
    )

    sync_store(synced)

    robert = DirectoryObject.objects.get(pk=bob.pk)
    assert robert.name == "Robert Engineer"
    assert EntryLink.objects.get(object=robert).dn == person_dn("robert")
    assert "Robert Engineer" in member_names(obj(synced, "engineering"))
    assert not DirectoryObject.objects.filter(name="Bob Engineer").exists()
    assert not DirectoryEvent.objects.filter(kind=EventKind.CREATED).exists()


def test_it_resolves_an_old_dn_that_a_group_still_lists_after_a_rename(synced, slapd):
    slapd.modify(
        f"dn: {person_dn('bob')}\nchangetype: modrdn\nnewrdn: uid=robert\ndeleteoldrdn: 1\n"
    )
    sync_store(synced)
    # As if the refint overlay had not yet rewritten this group (it works in the background).
    slapd.modify(
        f"dn: {group_dn('engineering')}\nchangetype: modify\nreplace: member\n"
        f"member: {person_dn('alice')}\nmember: {person_dn('bob')}\n"
    )

    sync_store(synced)

    assert member_names(obj(synced, "engineering")) == ["Alice Engineer", "Bob Engineer"]
    assert not DirectoryEvent.objects.filter(kind=EventKind.MEMBER_REMOVED).exists()
    assert EntryLink.objects.get(object__name="Bob Engineer").dn == person_dn("robert")


def test_it_finds_deletes_only_by_reconciliation(synced, slapd):
    slapd.modify(f"dn: {person_dn('alice')}\nchangetype: delete\n")

    sync_store(synced, reconcile_now=False)
    assert DirectoryObject.objects.filter(name="Alice Engineer").exists()  # no timestamp changed

    result = sync_store(synced, reconcile_now=True)

    assert result.counts["deleted"] == 1
    assert not DirectoryObject.objects.filter(name="Alice Engineer").exists()
    assert member_names(obj(synced, "engineering")) == ["Bob Engineer"]
    removed = DirectoryEvent.objects.get(kind=EventKind.MEMBER_REMOVED)
    assert (removed.object_name, removed.member_name) == ("engineering", "Alice Engineer")
    assert removed.route == Route.DIRECTORY_SYNC


def test_it_reports_a_stopped_server_and_loses_nothing(synced, slapd):
    before = DirectoryObject.objects.filter(store=synced).count()
    watermark = SyncStatus.objects.get(store=synced).watermark
    slapd.stop()

    with pytest.raises(DirectoryError, match=r"nothing answered \(refused or timed out\)"):
        sync_store(synced, full=True)

    status = SyncStatus.objects.get(store=synced)
    assert "nothing answered (refused or timed out)" in status.last_error
    assert status.watermark == watermark
    assert DirectoryObject.objects.filter(store=synced).count() == before
    slapd.start()
    slapd.modify(f"dn: {person_dn('dave')}\nchangetype: modify\nreplace: mail\nmail: d@x.test\n")
    sync_store(synced)
    assert obj(synced, "Dave Director").email == "d@x.test"
    assert SyncStatus.objects.get(store=synced).last_error == ""


def test_it_stops_at_the_size_limit_instead_of_deleting(synced):
    DirectoryConnection.objects.filter(store=synced).update(bind_dn=LIMITED_DN, page_size=2)
    conn = DirectoryConnection.objects.get(store=synced)
    conn.bind_password = LIMITED_PASSWORD
    conn.save()
    before = DirectoryObject.objects.filter(store=synced).count()

    with pytest.raises(DirectoryError, match="size limit"):
        sync_store(synced, full=True)

    assert DirectoryObject.objects.filter(store=synced).count() == before
    assert "sizeLimitExceeded" in SyncStatus.objects.get(store=synced).last_error


def test_it_refuses_a_mass_delete(synced):
    conn = DirectoryConnection.objects.get(store=synced)
    conn.user_filter = "(uid=frank)"
    conn.save()

    with pytest.raises(DirectoryError, match="5 of 9 objects are no longer found"):
        sync_store(synced, full=True)

    assert DirectoryObject.objects.filter(store=synced).count() == 9


def test_it_runs_from_the_command_line(synced, slapd, capsys):
    from django.core.management import call_command

    slapd.modify(f"dn: {person_dn('erin')}\nchangetype: modify\nreplace: cn\ncn: Erin Lead\n")
    call_command("sync_directory", "--store", str(synced.pk), "--no-progress")

    assert "incremental sync of Example LDAP" in capsys.readouterr().out
    assert obj(synced, "Erin Lead")


def test_it_syncs_enabled_stores_from_the_periodic_task(ldap_store, eager_celery, settings):
    from ldapsync.tasks import sync_all

    assert settings.CELERY_BEAT_SCHEDULE["ldap-sync"]["task"] == "ldapsync.sync_all"

    assert sync_all() == 1

    assert SyncStatus.objects.get(store=ldap_store).last_kind == "import"
    assert DirectoryObject.objects.filter(store=ldap_store).count() == 9


def test_it_skips_stores_with_periodic_sync_off(ldap_store, eager_celery):
    from ldapsync.tasks import sync_all

    DirectoryConnection.objects.filter(store=ldap_store).update(sync_enabled=False)

    assert sync_all() == 0
    assert not DirectoryObject.objects.filter(store=ldap_store).exists()


def test_it_runs_one_sync_of_a_store_at_a_time(synced):
    from django.utils import timezone

    from ldapsync.sync import SyncBusy

    SyncStatus.objects.filter(store=synced).update(running_since=timezone.now())

    with pytest.raises(SyncBusy):
        sync_store(synced)


def test_it_imports_nothing_when_the_first_read_stops_at_the_size_limit(ldap_store):
    conn = DirectoryConnection.objects.get(store=ldap_store)
    conn.bind_dn, conn.bind_password, conn.page_size = LIMITED_DN, LIMITED_PASSWORD, 2
    conn.save()

    with pytest.raises(DirectoryError, match="size limit"):
        sync_store(ldap_store)

    assert not DirectoryObject.objects.filter(store=ldap_store).exists()
    assert not AuditEntry.objects.filter(action="directory.imported").exists()


def test_it_keeps_no_address_the_directory_holds_in_error(synced, slapd):
    slapd.modify(
        f"dn: {person_dn('frank')}\nchangetype: modify\nreplace: mail\nmail: frank at example\n"
    )

    result = sync_store(synced)

    assert result.counts["rejected"] == 0
    assert obj(synced, "Frank Solo").email == ""


def test_it_reports_why_the_reader_process_failed(ldap_store, monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "no_such_settings")

    with pytest.raises(DirectoryError, match="reader stopped unexpectedly: .*no_such_settings"):
        sync_store(ldap_store)

    assert not DirectoryObject.objects.filter(store=ldap_store).exists()
    assert "no_such_settings" in SyncStatus.objects.get(store=ldap_store).last_error
