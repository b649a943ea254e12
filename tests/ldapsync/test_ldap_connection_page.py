"""The Directory connection page: settings, Test connection, status line, secrets never echoed."""

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from directory.models import DirectoryObject
from identitystores.models import AuditEntry
from ldapsync.models import DirectoryConnection, SyncStatus
from ldapsync.sync import sync_store
from tests.support.ldap_forms import field_errors, form_data, url
from tests.support.ldap_server import LIMITED_DN, LIMITED_PASSWORD, SUFFIX, SYNC_PASSWORD
from tests.support.net import free_port
from tests.support.workers import broker

pytest_plugins = ["tests.support.ldap_server"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Test connection presses are counted per admin in the cache: each test starts at zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def admin_client(client, ldap_admin):
    client.force_login(ldap_admin)
    return client


def test_it_is_not_found_without_a_role_on_the_store(client, ldap_store, alice):
    client.force_login(alice)

    assert client.get(url(ldap_store)).status_code == 404


def test_it_is_linked_from_the_store_pane(admin_client, ldap_store):
    page = admin_client.get(reverse("identitystores:edit", args=[ldap_store.pk]))

    assert url(ldap_store) in page.content.decode()


def test_it_never_shows_the_stored_password(admin_client, ldap_store):
    page = admin_client.get(url(ldap_store)).content.decode()

    assert SYNC_PASSWORD not in page
    assert "A password is stored" in page


def test_it_tests_the_connection_and_counts_entries(admin_client, ldap_store, slapd):
    both = f"{slapd.ldap_url} {slapd.ldaps_url}"
    data = form_data(slapd, action="test", urls=both, bind_password=SYNC_PASSWORD)

    page = admin_client.post(url(ldap_store), data).content.decode()

    assert "Connection works" in page
    assert f"{slapd.ldap_url}: TLS verified" in page
    assert f"{slapd.ldaps_url}: TLS verified" in page
    assert "6 users, 3 groups" in page
    assert SYNC_PASSWORD not in page


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"bind_password": "wrong"}, "invalid credentials (result 49)"),
        ({"base_dn": "ou=missing,dc=example,dc=test"}, "result 32, noSuchObject"),
        (
            {"ca_certificate": "", "bind_password": SYNC_PASSWORD},
            "TLS failed, the server&#x27;s certificate was not accepted",
        ),
        (
            {"urls": "ldap://127.0.0.1:1", "bind_password": SYNC_PASSWORD},
            "nothing answered (refused or timed out)",
        ),
    ],
)
def test_it_reports_a_precise_error(admin_client, ldap_store, slapd, overrides, expected):
    page = admin_client.post(url(ldap_store), form_data(slapd, action="test", **overrides))

    text = page.content.decode()
    assert "Connection failed" in text
    assert expected in text
    assert SYNC_PASSWORD not in text
    assert 'value="wrong"' not in text


def test_it_names_the_missing_base_dn_next_to_the_field(admin_client, ldap_store, slapd):
    missing = f"ou=missing,{SUFFIX}"

    page = admin_client.post(url(ldap_store), form_data(slapd, action="test", base_dn=missing))

    text = page.content.decode()
    message = f"The base DN {missing} does not exist (result 32, noSuchObject)."
    assert field_errors(text, "base_dn") == [message]
    assert f'<li class="failed">✗ {message}</li>' in text
    assert field_errors(text, "urls") == field_errors(text, "bind_dn") == []


def test_it_marks_a_base_dn_that_is_a_referral(admin_client, ldap_store, slapd):
    elsewhere = f"cn=elsewhere,{SUFFIX}"
    slapd.modify(
        f"dn: {elsewhere}\nchangetype: add\nobjectClass: referral\n"
        "objectClass: extensibleObject\ncn: elsewhere\nref: ldap://unreachable.invalid/dc=x\n"
    )

    page = admin_client.post(url(ldap_store), form_data(slapd, action="test", base_dn=elsewhere))

    assert field_errors(page.content.decode(), "base_dn") == [
        f"The base DN {elsewhere} is a referral to another directory (result 10). Referrals are "
        "never followed: enter a base DN this directory holds itself."
    ]


def test_it_marks_the_bind_dn_and_password_when_the_bind_is_refused(
    admin_client, ldap_store, slapd
):
    both = f"{slapd.ldap_url} {slapd.ldaps_url}"
    data = form_data(slapd, action="test", urls=both, bind_password="wrong")

    text = admin_client.post(url(ldap_store), data).content.decode()

    assert field_errors(text, "bind_dn") == [
        "The directory refused this bind DN with the password given (result 49, "
        "invalidCredentials)."
    ]
    [password_error] = field_errors(text, "bind_password")
    assert "Check the password too" in password_error
    assert field_errors(text, "urls") == field_errors(text, "base_dn") == []
    assert text.count("invalid credentials (result 49)") == 2  # one result line per URL


def test_it_marks_the_url_that_cannot_be_reached(admin_client, ldap_store, slapd):
    refused = "ldap://127.0.0.1:1"
    data = form_data(
        slapd, action="test", urls=f"{slapd.ldap_url} {refused}", bind_password=SYNC_PASSWORD
    )

    text = admin_client.post(url(ldap_store), data).content.decode()

    [error] = field_errors(text, "urls")
    assert error.startswith(f"{refused}: nothing answered (refused or timed out)")
    assert slapd.ldap_url not in error
    assert f"✓ {slapd.ldap_url}: TLS verified" in text


def test_it_marks_the_ca_certificate_when_the_servers_is_not_accepted(
    admin_client, ldap_store, slapd
):
    data = form_data(slapd, action="test", ca_certificate="", bind_password=SYNC_PASSWORD)

    text = admin_client.post(url(ldap_store), data).content.decode()

    [error] = field_errors(text, "ca_certificate")
    assert "the server's certificate was not accepted" in error
    assert "Paste the certificate of the CA" in error
    assert field_errors(text, "urls") == []


def test_it_reports_the_size_limit(admin_client, ldap_store, slapd):
    data = form_data(
        slapd, action="test", bind_dn=LIMITED_DN, bind_password=LIMITED_PASSWORD, page_size=2
    )

    page = admin_client.post(url(ldap_store), data).content.decode()

    assert "size limit" in page
    assert "Connection failed" in page


def test_it_saves_and_keeps_the_password_for_the_same_destination(admin_client, ldap_store, slapd):
    response = admin_client.post(url(ldap_store), form_data(slapd, base_dn=f"ou=people,{SUFFIX}"))

    assert response.status_code == 302
    conn = DirectoryConnection.objects.get(store=ldap_store)
    assert conn.base_dn == f"ou=people,{SUFFIX}"
    assert conn.bind_password == SYNC_PASSWORD
    entry = AuditEntry.objects.get(store=ldap_store, field="base_dn")
    assert entry.new_value == f"ou=people,{SUFFIX}"


def test_it_does_not_carry_the_password_to_a_new_destination(admin_client, ldap_store, slapd):
    page = admin_client.post(url(ldap_store), form_data(slapd, urls="ldaps://ldap.other.test"))

    assert "the stored password is not carried over" in page.content.decode()
    assert DirectoryConnection.objects.get(store=ldap_store).urls == slapd.ldap_url


def test_it_records_a_new_password_only_as_changed(admin_client, ldap_store, slapd):
    admin_client.post(url(ldap_store), form_data(slapd, bind_password="new-secret-9"))

    entry = AuditEntry.objects.get(store=ldap_store, field="bind_password")
    assert (entry.old_value, entry.new_value) == ("changed", "changed")
    assert DirectoryConnection.objects.get(store=ldap_store).bind_password == "new-secret-9"


def test_it_rejects_a_url_that_is_not_ldap(admin_client, ldap_store, slapd):
    page = admin_client.post(url(ldap_store), form_data(slapd, urls="http://127.0.0.1/"))

    assert "is not an LDAP URL" in page.content.decode()


def test_it_starts_a_new_store_with_the_flavour_defaults(admin_client, contoso, alice, client):
    client.force_login(alice)

    page = client.get(url(contoso)).content.decode()

    assert 'value="objectGUID"' in page
    assert 'value="uSNChanged"' in page
    assert 'value="msExchCoManagedByLink"' in page


def test_it_shows_the_sync_status_line(admin_client, ldap_store, slapd):
    sync_store(ldap_store)
    slapd.stop()
    with pytest.raises(Exception, match="refused"):
        sync_store(ldap_store)

    page = admin_client.get(url(ldap_store)).content.decode()

    assert "Last sync (import)" in page
    assert "6 users" in page
    assert "Last sync failed" in page and "nothing answered" in page


def text_of(response) -> str:
    """The page's text as read: no tags, entities decoded, any run of white space (timesince's
    non-breaking ones too) as one space."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))


def local(moment, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def test_it_shows_sync_times_in_the_stores_time_zone(admin_client, ldap_store):
    ldap_store.time_zone = "America/New_York"
    ldap_store.save()
    now = timezone.now()
    ran, failed = now - timedelta(minutes=5, seconds=10), now - timedelta(hours=2, minutes=1)
    SyncStatus.objects.create(
        store=ldap_store,
        last_kind="incremental",
        last_incremental=ran,
        last_duration=1.2,
        last_counts={"read": 3},
        last_error="connection refused",
        last_error_at=failed,
    )

    text = text_of(admin_client.get(url(ldap_store)))

    assert (
        f"Last sync (incremental): {local(ran, 'America/New_York')} America/New_York "
        "(5 minutes ago), 1.2 s" in text
    )
    assert (
        f"Last sync failed at {local(failed, 'America/New_York')} America/New_York (2 hours ago): "
        "connection refused" in text
    )
    assert local(ran, "UTC") not in text  # New York is never on UTC


def test_it_says_a_sync_is_running(admin_client, ldap_store):
    started = timezone.now() - timedelta(seconds=20)
    SyncStatus.objects.create(store=ldap_store, running_since=started)

    text = text_of(admin_client.get(url(ldap_store)))

    assert f"A sync is running, started {local(started, 'UTC')} UTC (just now)." in text


def sync_now_url(store):
    return reverse("ldapsync:sync_now", args=[store.pk])


@pytest.mark.usefixtures("eager_celery")
def test_sync_now_queues_the_sync_and_says_so(admin_client, ldap_store, ldap_admin):
    page = admin_client.get(url(ldap_store)).content.decode()
    assert f'action="{sync_now_url(ldap_store)}"' in page

    response = admin_client.post(sync_now_url(ldap_store), follow=True)

    text = text_of(response)
    assert response.redirect_chain == [(url(ldap_store), 302)]
    assert (
        "Sync queued: it runs in the background; this page shows the result when it is done."
        in text
    )
    assert "Last sync (import)" in text  # the eager task ran before the page was drawn
    assert DirectoryObject.objects.filter(store=ldap_store).count() == 9
    entry = AuditEntry.objects.get(store=ldap_store, action="directory sync requested")
    assert entry.actor == ldap_admin


@pytest.mark.usefixtures("eager_celery")
def test_sync_now_does_not_queue_a_second_sync(admin_client, ldap_store):
    started = timezone.now() - timedelta(minutes=3)
    SyncStatus.objects.create(store=ldap_store, running_since=started)

    text = text_of(admin_client.post(sync_now_url(ldap_store), follow=True))

    assert (
        f"A sync of Example LDAP is already running (started {local(started, 'UTC')} UTC "
        "(3 minutes ago)); this page shows the result when it is done." in text
    )
    assert "Sync queued" not in text
    assert not DirectoryObject.objects.filter(store=ldap_store).exists()
    assert not AuditEntry.objects.filter(action="directory sync requested").exists()


@pytest.mark.usefixtures("eager_celery")
def test_sync_now_takes_over_a_dead_syncs_claim(admin_client, ldap_store, settings):
    stale = timezone.now() - timedelta(seconds=settings.LDAP_SYNC_STALE_SECONDS + 60)
    SyncStatus.objects.create(store=ldap_store, running_since=stale)

    text = text_of(admin_client.post(sync_now_url(ldap_store), follow=True))

    assert "Sync queued" in text
    assert SyncStatus.objects.get(store=ldap_store).last_kind == "import"


def test_sync_now_says_when_the_broker_cannot_be_reached(admin_client, ldap_store):
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        response = admin_client.post(sync_now_url(ldap_store), follow=True)

    text = text_of(response)
    assert response.status_code == 200
    assert (
        "The sync could not be queued: the task queue (Celery broker) cannot be reached, so "
        "nothing was started." in text
    )
    assert f"manage.py sync_directory --store {ldap_store.pk}" in text
    assert "Sync queued" not in text
    entry = AuditEntry.objects.get(action="directory sync requested")
    assert entry.new_value == "not queued: the task queue (Celery broker) cannot be reached"


@pytest.mark.usefixtures("eager_celery")
def test_sync_now_needs_a_role_on_the_store(client, ldap_store, alice):
    client.force_login(alice)

    assert client.post(sync_now_url(ldap_store)).status_code == 404
    assert not DirectoryObject.objects.filter(store=ldap_store).exists()


@pytest.mark.usefixtures("eager_celery")
def test_sync_now_is_a_post_with_a_csrf_token(ldap_store, ldap_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ldap_admin)

    assert client.get(sync_now_url(ldap_store)).status_code == 405
    assert client.post(sync_now_url(ldap_store)).status_code == 403
    assert not DirectoryObject.objects.filter(store=ldap_store).exists()


@pytest.mark.usefixtures("eager_celery")
def test_sync_now_needs_a_saved_connection(alice_client, contoso):
    page = alice_client.get(url(contoso)).content.decode()
    assert "Sync now" not in page

    text = text_of(alice_client.post(sync_now_url(contoso), follow=True))

    assert "Save the directory connection before syncing." in text
    assert not SyncStatus.objects.filter(store=contoso).exists()


def test_the_store_page_shows_the_sync_status_line(admin_client, ldap_store, slapd, contoso):
    general = reverse("identitystores:edit", args=[ldap_store.pk])
    assert "Directory sync: not synced yet." in text_of(admin_client.get(general))

    sync_store(ldap_store)
    slapd.stop()
    with pytest.raises(Exception, match="refused"):
        sync_store(ldap_store)
    page = text_of(admin_client.get(general))

    assert "Directory sync: last import" in page and "9 entries read." in page
    assert "Last sync failed at" in page and "nothing answered" in page
    assert url(ldap_store) in admin_client.get(general).content.decode()


def test_each_connected_store_type_has_its_own_sync_line(client, contoso, alice, fabrikam, bob):
    client.force_login(alice)
    page = text_of(client.get(reverse("identitystores:edit", args=[contoso.pk])))
    assert "Directory sync: no directory connection saved yet." in page
    client.force_login(bob)
    page = client.get(reverse("identitystores:edit", args=[fabrikam.pk])).content.decode()
    assert "no directory connection saved yet" not in page  # not the LDAP line
    assert "no Entra ID connection saved yet" in page
