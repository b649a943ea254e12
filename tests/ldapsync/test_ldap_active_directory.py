"""The Active Directory flavour end to end, against slapd with an AD-like schema
(tests/support/ldap_ad.py): binary objectGUIDs, uSNChanged watermarks from the rootDSE,
userAccountControl, pwdLastSet, managedBy/msExchCoManagedByLink, sign-in by sAMAccountName or
UPN, write-back, and a second domain controller taking over."""

import ssl

import ldap3
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from directory import changes
from directory.changes import Actor
from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    EventKind,
    Route,
)
from identitystores.models import IdentityStore
from ldapsync import fetch
from ldapsync.mapping import dn_key
from ldapsync.models import DirectoryAccount, EntryLink, SyncStatus
from ldapsync.sync import sync_store
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.ldap_ad import (
    DC1,
    DC2,
    PASSWORD_SET,
    ad_connection,
    ad_group_dn,
    ad_slapd_at,
    contact_dn,
    guid,
    root_dse,
    user_dn,
)
from tests.support.ldap_server import ROOT_DN, ROOT_PASSWORD

pytest_plugins = ["tests.support.ldap_server", "tests.support.ldap_ad"]


def obj(store, name):
    return DirectoryObject.objects.get(store=store, name=name)


def dn_of(obj):
    """The DN we keep, compared as DNs compare (slapd writes attribute types in lower case)."""
    return dn_key(EntryLink.objects.get(object=obj).dn)


def member_names(group):
    return sorted(link.member.name for link in group.member_links.select_related("member"))


@pytest.fixture
def synced(ad_store):
    sync_store(ad_store)
    return ad_store


def test_it_imports_the_ad_entries_with_their_guids(ad_store):
    result = sync_store(ad_store)

    assert result.kind == "import"
    assert (result.counts["users"], result.counts["contacts"], result.counts["groups"]) == (5, 1, 2)
    alice = obj(ad_store, "Alice Engineer")
    assert alice.external_id == str(guid("Alice Engineer"))
    assert dn_of(alice) == dn_key(user_dn("Alice Engineer"))
    assert alice.email == "alice@example.test"
    assert alice.password_last_set == PASSWORD_SET
    assert not DirectoryObject.objects.filter(name="WS01").exists()  # a computer, not a person


def test_it_maps_account_control_managers_owners_and_members(synced):
    carol, dave = obj(synced, "Carol Manager"), obj(synced, "Dave Director")
    assert obj(synced, "Alice Engineer").mail_enabled
    assert not obj(synced, "Erin Leaver").mail_enabled  # userAccountControl 514: disabled
    assert obj(synced, "Alice Engineer").primary_manager == carol
    assert carol.primary_manager == dave
    assert not AdditionalManager.objects.exists()
    engineering, all_staff = obj(synced, "Engineering"), obj(synced, "All Staff")
    assert engineering.primary_owner == carol
    assert [o.owner for o in AdditionalOwner.objects.filter(group=engineering)] == [dave]
    assert all_staff.primary_owner == dave
    assert member_names(engineering) == ["Alice Engineer", "Bob Engineer"]
    assert member_names(all_staff) == [
        "Carol Manager",
        "Dave Director",
        "Engineering",
        "Pat Partner",
    ]
    assert all_staff.member_links.get(member=engineering).member_is_group
    pat = obj(synced, "Pat Partner")
    assert (pat.kind, pat.email) == ("contact", "pat@partner.test")
    assert dn_of(pat) == dn_key(contact_dn("Pat Partner"))
    assert dn_of(engineering) == dn_key(ad_group_dn("Engineering"))


def test_it_sets_the_watermark_past_the_highest_committed_usn(synced):
    status = SyncStatus.objects.get(store=synced)
    assert (status.watermark, status.watermark_server) == ("3001", DC1)


@pytest.fixture
def mail_to_helpdesk(ad_store):
    return NotificationSettings.objects.create(
        store=ad_store,
        smtp_host="127.0.0.1",
        from_email="directory@example.test",
        to_recipients="helpdesk@example.test",
    )


def change(slapd, dn: str, usn: int, *lines: str) -> None:
    """An LDAP modify that, as on AD, also raises the entry's uSNChanged."""
    body = "\n-\n".join([*lines, f"replace: uSNChanged\nuSNChanged: {usn}"])
    slapd.modify(f"dn: {dn}\nchangetype: modify\n{body}\n")


def test_it_reads_only_entries_changed_above_the_usn_watermark(synced, ad_slapd, mail_to_helpdesk):
    change(
        ad_slapd, user_dn("Alice Engineer"), 3005, "replace: displayName\ndisplayName: Alice Lead"
    )
    change(
        ad_slapd,
        ad_group_dn("Engineering"),
        3006,
        f"add: member\nmember: {user_dn('Erin Leaver')}",
    )
    # Changed without a new USN: an incremental pass must not see it.
    ad_slapd.modify(
        f"dn: {user_dn('Dave Director')}\nchangetype: modify\nreplace: mail\nmail: d@example.test\n"
    )
    ad_slapd.set_root_dse(root_dse(3010))

    result = sync_store(synced, reconcile_now=False)

    assert result.kind == "incremental"
    assert result.counts["read"] == 2
    assert obj(synced, "Alice Lead").pk
    assert "Erin Leaver" in member_names(obj(synced, "Engineering"))
    assert obj(synced, "Dave Director").email == "dave@example.test"
    events = DirectoryEvent.objects.filter(store=synced)
    assert set(events.values_list("route", flat=True)) == {Route.DIRECTORY_SYNC}
    assert sorted(events.values_list("kind", flat=True)) == sorted(
        [EventKind.UPDATED, EventKind.MEMBER_ADDED]
    )
    assert OutgoingMessage.objects.filter(to__contains="helpdesk@example.test").count() == 2
    assert SyncStatus.objects.get(store=synced).watermark == "3011"

    again = sync_store(synced, reconcile_now=True)

    assert again.counts["read"] == 0
    assert (DirectoryEvent.objects.count(), OutgoingMessage.objects.count()) == (2, 2)


def test_it_keeps_the_object_when_an_entry_is_renamed(synced, ad_slapd):
    bob = obj(synced, "Bob Engineer")
    ad_slapd.modify(
        f"dn: {user_dn('Bob Engineer')}\nchangetype: modrdn\n"
        "newrdn: CN=Robert Engineer\ndeleteoldrdn: 1\n"
    )
    change(
        ad_slapd, user_dn("Robert Engineer"), 3005, "replace: displayName\ndisplayName: Robert E"
    )
    ad_slapd.set_root_dse(root_dse(3005))

    result = sync_store(synced, reconcile_now=False)

    assert (result.kind, result.counts["read"], result.counts["renamed"]) == ("incremental", 1, 1)
    robert = DirectoryObject.objects.get(pk=bob.pk)
    assert (robert.name, robert.external_id) == ("Robert E", str(guid("Bob Engineer")))
    assert dn_of(robert) == dn_key(user_dn("Robert Engineer"))
    assert "Robert E" in member_names(obj(synced, "Engineering"))
    assert not DirectoryEvent.objects.filter(kind=EventKind.CREATED).exists()


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@ad.example.test"])
def test_it_signs_in_with_the_sam_account_name_or_the_upn(client, ad_store, login):
    response = client.post(
        reverse("login"), {"store": ad_store.pk, "username": login, "password": "alice-password"}
    )

    assert response.status_code == 302
    account = DirectoryAccount.objects.get(store=ad_store)
    assert account.external_id == str(guid("Alice Engineer"))
    assert dn_key(account.dn) == dn_key(user_dn("Alice Engineer"))
    assert int(client.session["_auth_user_id"]) == account.user.pk


def test_it_refuses_a_wrong_password_and_a_computer_account(client, ad_store):
    for login, password in (("alice", "wrong"), ("WS01$", "ws01-password")):
        client.post(
            reverse("login"), {"store": ad_store.pk, "username": login, "password": password}
        )

    assert "_auth_user_id" not in client.session
    assert not DirectoryAccount.objects.exists()


def directory_values(slapd, dn, attribute):
    """What the directory itself holds, read as its root DN."""
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(slapd.ca_path))
    server = ldap3.Server(slapd.ldaps_url, tls=tls, get_info=ldap3.NONE)
    with ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True) as conn:
        conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[attribute])
        return sorted(dn_key(v) for v in conn.response[0]["attributes"].get(attribute, []))


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_user("lena", "lena@example.test", "lena-local-pass")


def test_it_writes_owners_back_to_managed_by_and_co_managed_by(synced, ad_slapd, admin):
    engineering, all_staff = obj(synced, "Engineering"), obj(synced, "All Staff")

    changes.set_primary_owner(all_staff, obj(synced, "Carol Manager"), Actor(admin))
    changes.add_additional_owner(engineering, obj(synced, "Alice Engineer"), Actor(admin))
    changes.remove_additional_owner(engineering, obj(synced, "Dave Director"), Actor(admin))

    assert directory_values(ad_slapd, ad_group_dn("All Staff"), "managedBy") == [
        dn_key(user_dn("Carol Manager"))
    ]
    assert directory_values(ad_slapd, ad_group_dn("Engineering"), "managedBy") == [
        dn_key(user_dn("Carol Manager"))
    ]
    assert directory_values(ad_slapd, ad_group_dn("Engineering"), "msExchCoManagedByLink") == [
        dn_key(user_dn("Alice Engineer"))
    ]
    events = DirectoryEvent.objects.count()
    assert events == 3
    sync_store(synced, full=True)
    assert DirectoryEvent.objects.count() == events  # read back equal: nobody notified again


def test_it_writes_members_and_the_manager_back(synced, ad_slapd, admin):
    engineering, erin = obj(synced, "Engineering"), obj(synced, "Erin Leaver")

    changes.add_member(engineering, erin, Actor(admin))
    changes.remove_member(engineering, obj(synced, "Alice Engineer"), Actor(admin))
    changes.remove_member(engineering, obj(synced, "Bob Engineer"), Actor(admin))
    changes.set_primary_manager(erin, obj(synced, "Dave Director"), Actor(admin))

    assert directory_values(ad_slapd, ad_group_dn("Engineering"), "member") == [
        dn_key(user_dn("Erin Leaver"))
    ]
    assert directory_values(ad_slapd, user_dn("Erin Leaver"), "manager") == [
        dn_key(user_dn("Dave Director"))
    ]


@pytest.fixture
def two_dcs(db, tmp_path):
    """Two DCs of one domain: the same entries, their own USNs (DC1 has numbered many more
    changes) and names, and a store that lists DC1 first."""
    dc1, dc2 = ad_slapd_at(tmp_path / "dc1", DC1), ad_slapd_at(tmp_path / "dc2", DC2)
    dc1.set_root_dse(root_dse(9000, DC1))
    store = IdentityStore.objects.create(name="Two DCs", type=IdentityStore.Type.ACTIVE_DIRECTORY)
    cas = dc1.ca_path.read_text() + dc2.ca_path.read_text()
    ad_connection(store, f"{dc1.ldap_url} {dc2.ldap_url}", cas)
    yield store, dc1, dc2
    dc1.stop()
    dc2.stop()


def test_the_import_reads_from_the_dc_the_watermark_comes_from(two_dcs, monkeypatch):
    store, dc1, _dc2 = two_dcs
    urls = []
    read = fetch.record_pages
    monkeypatch.setattr(fetch, "record_pages", lambda conn: urls.append(conn.urls) or read(conn))

    sync_store(store)

    assert urls == [dc1.ldap_url]
    status = SyncStatus.objects.get(store=store)
    assert (status.watermark, status.watermark_server) == ("9001", DC1)


def test_a_pass_on_another_dc_does_not_trust_the_watermark(two_dcs):
    store, dc1, dc2 = two_dcs
    sync_store(store)
    # DC2's own USNs for changes DC1 has not seen: all far below DC1's watermark (9001).
    change(dc2, user_dn("Alice Engineer"), 3005, "replace: mail\nmail: alice.e@example.test")
    dc2.modify(f"dn: {user_dn('Bob Engineer')}\nchangetype: delete\n")
    dc2.set_root_dse(root_dse(3010, DC2))
    dc1.stop()  # the next pass fails over to the second URL

    result = sync_store(store, reconcile_now=False)

    assert (result.kind, result.counts["deleted"]) == ("full", 1)
    assert obj(store, "Alice Engineer").email == "alice.e@example.test"
    assert not DirectoryObject.objects.filter(store=store, name="Bob Engineer").exists()
    assert member_names(obj(store, "Engineering")) == ["Alice Engineer"]
    status = SyncStatus.objects.get(store=store)
    assert (status.watermark, status.watermark_server) == ("3011", DC2)

    change(dc2, user_dn("Carol Manager"), 3012, "replace: mail\nmail: carol.m@example.test")
    dc2.set_root_dse(root_dse(3020, DC2))
    again = sync_store(store, reconcile_now=False)

    assert (again.kind, again.counts["read"]) == ("incremental", 1)
    assert obj(store, "Carol Manager").email == "carol.m@example.test"
