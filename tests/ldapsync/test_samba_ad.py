"""The Active Directory preset against a real domain controller: Samba 4 in AD DC mode
(tests/support/samba_dc.py), provisioned once per session. Its objectGUIDs, uSNChanged values,
highestCommittedUSN, objectCategory matching, linked attributes, refusals and range replies
are Samba's own, not a schema imitating them."""

import datetime as dt
import uuid

import ldap3
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from directory import changes
from directory.changes import Actor, ChangeError
from directory.models import AdditionalOwner, DirectoryEvent, DirectoryObject, EventKind, Route
from identitystores.models import StoreRole
from ldapsync import paging as ldap_paging
from ldapsync import reader, writer
from ldapsync.connection import DirectoryError, session
from ldapsync.forms import initial_for
from ldapsync.mapping import dn_key
from ldapsync.models import DirectoryAccount, DirectoryConnection, EntryLink, SyncStatus
from ldapsync.paging import paged_search
from ldapsync.sync import sync_store
from tests.support.samba_dc import (
    ADMIN_PASSWORD,
    ADMIN_UPN,
    BASE_DN,
    BIG_GROUP_SIZE,
    LDAP_URL,
    LDAPS_URL,
    bulk_dn,
    contact_dn,
    group_dn,
    password_of,
    user_dn,
)

pytest_plugins = ["tests.support.samba_dc"]

AD_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)
FIRST_SLICE = f"member;range=0-{1_500 - 1}"  # what AD answers for a plain `member` of a big group


def obj(store, name):
    return DirectoryObject.objects.get(store=store, name=name)


def member_names(group):
    return sorted(link.member.name for link in group.member_links.select_related("member"))


def dn_of(item):
    return dn_key(EntryLink.objects.get(object=item).dn)


def read(dc, dn: str, *attributes: str) -> dict:
    """One entry's raw values as the DC holds them, read as Administrator."""
    with dc.admin() as conn:
        conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=list(attributes))
        return conn.response[0]["raw_attributes"]


def guid(dc, dn: str) -> str:
    return str(uuid.UUID(bytes_le=read(dc, dn, "objectGUID")["objectGUID"][0]))


@pytest.fixture
def synced(samba_store):
    sync_store(samba_store)
    return samba_store


@pytest.fixture
def admin(db, samba_store):
    user = get_user_model().objects.create_user("lena", "lena@example.test", "lena-local-pass")
    StoreRole.objects.create(user=user, store=samba_store)
    return user


# --- import -----------------------------------------------------------------------------------


def test_it_imports_the_domain_with_samba_s_guids_and_attributes(samba_store, samba_dc):
    result = sync_store(samba_store)

    assert result.kind == "import"
    counts = (result.counts["users"], result.counts["contacts"], result.counts["groups"])
    assert counts == (5, 1 + BIG_GROUP_SIZE, 3)
    alice = obj(samba_store, "Alice Engineer")
    assert alice.external_id == guid(samba_dc, user_dn("Alice Engineer"))
    assert dn_of(alice) == dn_key(user_dn("Alice Engineer"))
    assert alice.email == "alice@example.test"
    password_set = int(read(samba_dc, user_dn("Alice Engineer"), "pwdLastSet")["pwdLastSet"][0])
    assert alice.password_last_set == AD_EPOCH + dt.timedelta(microseconds=password_set // 10)
    assert (
        dt.timedelta(0) < dt.datetime.now(dt.UTC) - alice.password_last_set < dt.timedelta(hours=1)
    )
    assert not DirectoryObject.objects.filter(name__in=["WS01", "WS01$"]).exists()  # a computer


def test_it_maps_account_control_managers_owners_contacts_and_nesting(synced):
    carol, dave = obj(synced, "Carol Manager"), obj(synced, "Dave Director")
    assert obj(synced, "Alice Engineer").mail_enabled
    assert not obj(synced, "Erin Leaver").mail_enabled  # userAccountControl 514
    assert obj(synced, "Alice Engineer").primary_manager == carol
    assert carol.primary_manager == dave
    engineering, all_staff = obj(synced, "Engineering"), obj(synced, "All Staff")
    assert (engineering.primary_owner, all_staff.primary_owner) == (carol, dave)
    # msExchCoManagedByLink is not in Samba's schema: asked for, nothing comes back, no error.
    assert not AdditionalOwner.objects.exists()
    assert member_names(engineering) == ["Alice Engineer", "Bob Engineer"]
    assert member_names(all_staff) == [
        "Carol Manager",
        "Dave Director",
        "Engineering",
        "Pat Partner",
    ]
    assert all_staff.member_links.get(member=engineering).member_is_group
    pat = obj(synced, "Pat Partner")
    assert (pat.kind, pat.email, dn_of(pat)) == (
        "contact",
        "pat@partner.test",
        dn_key(contact_dn("Pat Partner")),
    )


def test_the_big_group_keeps_every_member(synced):
    everyone = obj(synced, "Everyone")

    assert everyone.member_links.count() == BIG_GROUP_SIZE
    assert everyone.member_links.filter(member__name="Member 1599").exists()


def test_the_watermark_is_the_dc_s_own(synced, samba_dc):
    root = samba_dc.root_dse()
    status = SyncStatus.objects.get(store=synced)

    assert status.watermark == str(int(root["highestCommittedUSN"]) + 1)
    assert status.watermark_server == root["dsServiceName"]


# --- later passes -----------------------------------------------------------------------------


def test_an_incremental_pass_reads_what_samba_numbered_since(synced, samba_dc):
    with samba_dc.admin() as conn:
        conn.modify(
            user_dn("Alice Engineer"), {"displayName": [(ldap3.MODIFY_REPLACE, ["Alice Lead"])]}
        )
        conn.modify(
            group_dn("Engineering"), {"member": [(ldap3.MODIFY_ADD, [user_dn("Erin Leaver")])]}
        )
    usn = samba_dc.highest_usn()

    result = sync_store(synced, reconcile_now=False)

    assert result.kind == "incremental"
    assert result.counts["read"] == 2  # Alice and Engineering; Erin's memberOf is a back link
    assert obj(synced, "Alice Lead").external_id == guid(samba_dc, user_dn("Alice Engineer"))
    assert "Erin Leaver" in member_names(obj(synced, "Engineering"))
    events = DirectoryEvent.objects.filter(store=synced)
    assert set(events.values_list("route", flat=True)) == {Route.DIRECTORY_SYNC}
    assert sorted(events.values_list("kind", flat=True)) == sorted(
        [EventKind.UPDATED, EventKind.MEMBER_ADDED]
    )
    assert SyncStatus.objects.get(store=synced).watermark == str(int(usn) + 1)

    again = sync_store(synced, reconcile_now=True)

    assert (again.counts["read"], again.counts["deleted"]) == (0, 0)
    assert DirectoryEvent.objects.count() == 2


def test_a_renamed_entry_stays_the_same_object(synced, samba_dc):
    bob = obj(synced, "Bob Engineer")
    with samba_dc.admin() as conn:
        conn.modify_dn(user_dn("Bob Engineer"), "CN=Robert Engineer")

    result = sync_store(synced, reconcile_now=False)

    assert (result.kind, result.counts["read"], result.counts["renamed"]) == ("incremental", 1, 1)
    robert = DirectoryObject.objects.get(pk=bob.pk)
    assert dn_of(robert) == dn_key(user_dn("Robert Engineer"))
    assert robert.external_id == guid(samba_dc, user_dn("Robert Engineer"))
    assert "Bob Engineer" in member_names(obj(synced, "Engineering"))  # displayName unchanged
    assert not DirectoryEvent.objects.filter(kind=EventKind.CREATED).exists()


def test_a_deleted_entry_is_found_by_reconciliation(synced, samba_dc):
    bob = obj(synced, "Bob Engineer")
    with samba_dc.admin() as conn:
        conn.delete(user_dn("Bob Engineer"))

    result = sync_store(synced, reconcile_now=True)

    assert result.counts["deleted"] == 1
    assert not DirectoryObject.objects.filter(pk=bob.pk).exists()
    assert member_names(obj(synced, "Engineering")) == ["Alice Engineer"]
    assert DirectoryEvent.objects.filter(kind=EventKind.MEMBER_REMOVED).count() == 1


# --- sign-in ----------------------------------------------------------------------------------


def sign_in(client, store, username, password):
    data = {"store": store.pk, "username": username, "password": password}
    return client.post(reverse("login"), data)


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.test"])
def test_it_signs_in_by_sam_account_name_or_upn(client, samba_store, samba_dc, login):
    response = sign_in(client, samba_store, login, password_of("alice"))

    assert response.status_code == 302
    account = DirectoryAccount.objects.get(store=samba_store)
    assert account.external_id == guid(samba_dc, user_dn("Alice Engineer"))
    assert dn_key(account.dn) == dn_key(user_dn("Alice Engineer"))
    assert int(client.session["_auth_user_id"]) == account.user.pk


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("alice", "Wrong-Pass-1234"),
        ("alice@example.test", "Wrong-Pass-1234"),
        ("erin", password_of("erin")),  # the right password of a disabled account
        ("WS01$", "any"),  # a computer: not matched by objectCategory=person
    ],
)
def test_it_refuses_a_wrong_password_and_accounts_that_are_not_users(
    client, samba_store, login, password
):
    response = sign_in(client, samba_store, login, password)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not DirectoryAccount.objects.exists()


# --- write-back -------------------------------------------------------------------------------


def test_it_writes_members_owner_and_manager_back(synced, samba_dc, admin):
    engineering, all_staff = obj(synced, "Engineering"), obj(synced, "All Staff")
    erin = obj(synced, "Erin Leaver")

    changes.add_member(engineering, erin, Actor(admin))
    changes.remove_member(engineering, obj(synced, "Alice Engineer"), Actor(admin))
    changes.set_primary_owner(all_staff, obj(synced, "Carol Manager"), Actor(admin))
    changes.set_primary_manager(erin, obj(synced, "Dave Director"), Actor(admin))

    assert samba_dc.values(group_dn("Engineering"), "member") == sorted(
        dn_key(user_dn(n)) for n in ("Bob Engineer", "Erin Leaver")
    )
    assert samba_dc.values(group_dn("All Staff"), "managedBy") == [dn_key(user_dn("Carol Manager"))]
    assert samba_dc.values(user_dn("Erin Leaver"), "manager") == [dn_key(user_dn("Dave Director"))]
    events = DirectoryEvent.objects.count()
    assert events == 4
    sync_store(synced, full=True)
    assert DirectoryEvent.objects.count() == events  # read back equal: nobody notified again


def test_an_additional_owner_is_refused_without_the_exchange_schema(synced, samba_dc, admin):
    engineering = obj(synced, "Engineering")

    # Samba's answer: noSuchAttribute (16), "attribute 'msExchCoManagedByLink' ... was not found
    # in the schema!". Windows AD without Exchange refuses it the same way.
    with pytest.raises(ChangeError, match="msExchCoManagedByLink") as refused:
        changes.add_additional_owner(engineering, obj(synced, "Alice Engineer"), Actor(admin))

    assert "result 16" in str(refused.value)
    assert ADMIN_PASSWORD not in str(refused.value)
    assert not AdditionalOwner.objects.exists()
    assert not DirectoryEvent.objects.exists()


def test_additional_owners_stay_in_the_admin_center_when_the_attribute_is_blank(
    synced, samba_dc, admin
):
    DirectoryConnection.objects.filter(store=synced).update(additional_owner_attribute="")
    engineering, alice = obj(synced, "Engineering"), obj(synced, "Alice Engineer")

    changes.add_additional_owner(engineering, alice, Actor(admin))
    sync_store(synced, full=True)

    assert [o.owner for o in AdditionalOwner.objects.filter(group=engineering)] == [alice]
    assert samba_dc.values(group_dn("Engineering"), "managedBy") == [
        dn_key(user_dn("Carol Manager"))
    ]


# --- Test connection --------------------------------------------------------------------------


def test_test_connection_verifies_both_urls_and_counts_the_entries(client, samba_store, admin):
    client.force_login(admin)
    data = {
        **initial_for(samba_store),
        "urls": f"{LDAP_URL} {LDAPS_URL}",
        "ca_certificate": DirectoryConnection.objects.get(store=samba_store).ca_certificate,
        "bind_dn": ADMIN_UPN,
        "bind_password": ADMIN_PASSWORD,
        "base_dn": BASE_DN,
        "timeout": 10,
        "page_size": 500,
        "action": "test",
    }

    page = client.post(reverse("ldapsync:connection", args=[samba_store.pk]), data)

    text = page.content.decode()
    assert "Connection works" in text
    assert f"{LDAP_URL}: TLS verified" in text
    assert f"{LDAPS_URL}: TLS verified" in text
    assert f"5 users, {1 + BIG_GROUP_SIZE:,} contacts, 3 groups" in text
    assert ADMIN_PASSWORD not in text


# --- ranged retrieval -------------------------------------------------------------------------
# Samba returns every value of a plain `member` read; it answers in ranges only when asked for
# one. Asking for FIRST_SLICE gets exactly the reply AD gives a plain read of a big group
# (`member;range=0-1499`), and every further slice below is Samba's real answer.


@pytest.fixture
def range_searches(monkeypatch):
    """The attribute lists of the range searches `complete_ranges` sends."""
    sent = []
    search = ldap_paging._next_range

    def recorded(connection, dn, attribute, low):
        sent.append(f"{attribute};range={low}-*")
        return search(connection, dn, attribute, low)

    monkeypatch.setattr(ldap_paging, "_next_range", recorded)
    return sent


def test_a_ranged_reply_is_read_to_the_end(samba_store, range_searches):
    conn = DirectoryConnection.objects.get(store=samba_store)
    with session(conn) as ldap:
        pages = paged_search(ldap, group_dn("Everyone"), "(objectClass=*)", [FIRST_SLICE], 10)
        (entry,) = [entry for page in pages for entry in page]

    members = entry["attributes"]["member"]
    assert len(members) == len(set(members)) == BIG_GROUP_SIZE
    assert dn_key(bulk_dn(BIG_GROUP_SIZE - 1)) in {dn_key(m) for m in members}
    assert [name for name in entry["raw_attributes"] if ";" in name] == []
    assert range_searches == ["member;range=1500-*"]


@pytest.fixture
def ranged_reads(monkeypatch):
    """Sync's reads of groups ask for the first slice of `member`, as AD would answer them."""
    plain = reader.attributes_for

    def first_slice(conn, kind):
        return [FIRST_SLICE if name == "member" else name for name in plain(conn, kind)]

    monkeypatch.setattr(reader, "attributes_for", first_slice)


def test_a_full_pass_joins_the_ranges_of_the_big_group(synced, ranged_reads, range_searches):
    result = sync_store(synced, full=True)

    assert result.kind == "full"
    assert obj(synced, "Everyone").member_links.count() == BIG_GROUP_SIZE
    assert "member;range=1500-*" in range_searches
    assert not DirectoryEvent.objects.exists()


def fail_at_the_second_slice(monkeypatch):
    """The search for the second slice goes to an entry that is gone: Samba's real answer
    (noSuchObject) is what a group deleted between two slices would get."""
    search = ldap3.Connection.search

    def failing(self, search_base, search_filter, *args, attributes=None, **kwargs):
        if attributes and any(";range=1500-" in name for name in attributes):
            search_base = f"CN=Gone,{search_base}"
        return search(self, search_base, search_filter, *args, attributes=attributes, **kwargs)

    monkeypatch.setattr(ldap3.Connection, "search", failing)


def test_a_slice_that_cannot_be_read_stops_the_pass(synced, ranged_reads, monkeypatch):
    fail_at_the_second_slice(monkeypatch)

    with pytest.raises(DirectoryError, match=r"member from 1500 on failed .*result 32"):
        sync_store(synced, full=True)

    assert obj(synced, "Everyone").member_links.count() == BIG_GROUP_SIZE
    assert not DirectoryEvent.objects.exists()
    assert "result 32" in SyncStatus.objects.get(store=synced).last_error


def test_write_back_lookups_read_the_ranges_too(samba_store, monkeypatch):
    conn = DirectoryConnection.objects.get(store=samba_store)
    with session(conn) as ldap:
        whole = writer._base_entry(ldap, group_dn("Everyone"), FIRST_SLICE)
        fail_at_the_second_slice(monkeypatch)
        with pytest.raises(DirectoryError, match="result 32"):
            writer._base_entry(ldap, group_dn("Everyone"), FIRST_SLICE)

    assert len(whole["member"]) == BIG_GROUP_SIZE


def test_write_back_accepts_what_the_dc_already_holds(synced, samba_dc, admin):
    """Someone made the same change on the DC before sync read it: the Admin Center change goes
    on here instead of showing the DC's "already there" / "not there" as a refusal."""
    engineering, erin = obj(synced, "Engineering"), obj(synced, "Erin Leaver")
    alice = obj(synced, "Alice Engineer")
    with samba_dc.admin() as conn:
        conn.modify(
            group_dn("Engineering"), {"member": [(ldap3.MODIFY_ADD, [user_dn("Erin Leaver")])]}
        )
        conn.modify(
            group_dn("Engineering"),
            {"member": [(ldap3.MODIFY_DELETE, [user_dn("Alice Engineer")])]},
        )

    changes.add_member(engineering, erin, Actor(admin))
    changes.remove_member(engineering, alice, Actor(admin))

    assert member_names(engineering) == ["Bob Engineer", "Erin Leaver"]
    assert samba_dc.values(group_dn("Engineering"), "member") == sorted(
        dn_key(user_dn(n)) for n in ("Bob Engineer", "Erin Leaver")
    )
