"""The Directory connection page of an Entra ID store: save, keep the secret only while it goes
to the same place, Test connection in plain words, Sync now."""

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from entrasync.models import EntraConnection, EntraSyncStatus
from identitystores.models import AuditEntry


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def url(store):
    return reverse("entrasync:connection", args=[store.pk])


def form(graph, **values):
    data = {
        "tenant": graph.tenant,
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
        "cloud": "global",
        "authority_url": graph.base_url,
        "graph_url": graph.base_url,
        "timeout": "10",
        "sync_enabled": "on",
        "write_back": "on",
        "secret_expires": "",
        "action": "save",
    }
    return data | values


def test_it_saves_the_connection_with_the_secret_encrypted(bob_client, fabrikam, graph):
    response = bob_client.post(url(fabrikam), form(graph))

    assert response.status_code == 302
    conn = EntraConnection.objects.get(store=fabrikam)
    assert conn.client_secret == graph.client_secret
    page = bob_client.get(url(fabrikam)).content.decode()
    assert graph.client_secret not in page
    assert "A secret is stored. Leave blank to keep it." in page
    secret = AuditEntry.objects.get(store=fabrikam, field="client_secret")
    assert graph.client_secret not in (secret.old_value + secret.new_value)


def test_a_blank_secret_is_kept_only_for_the_same_tenant(bob_client, fabrikam, graph):
    bob_client.post(url(fabrikam), form(graph))

    kept = bob_client.post(url(fabrikam), form(graph, client_secret=""))
    assert kept.status_code == 302
    moved = bob_client.post(url(fabrikam), form(graph, client_secret="", tenant="other.test"))
    assert moved.status_code == 200
    assert "so the stored secret is not carried over" in moved.content.decode()


def test_test_connection_shows_plain_words_next_to_the_field(bob_client, fabrikam, graph):
    response = bob_client.post(
        url(fabrikam), form(graph, action="test", client_secret="wrong-Secret-value")
    )

    page = response.content.decode()
    assert "Connection failed" in page
    assert "The client secret is wrong (AADSTS7000215)" in page
    assert "wrong-Secret-value" not in page
    assert not EntraConnection.objects.filter(store=fabrikam).exists()


def test_test_connection_reports_success(bob_client, fabrikam, graph):
    page = bob_client.post(url(fabrikam), form(graph, action="test")).content.decode()

    assert "Connection works" in page
    assert "May read groups and their members (Group.Read.All)" in page


def test_an_override_url_must_be_https(bob_client, fabrikam, graph):
    response = bob_client.post(url(fabrikam), form(graph, graph_url="http://127.0.0.1:1"))

    assert "Enter an https:// URL" in response.content.decode()


def test_the_page_is_only_for_entra_stores_of_the_admin(client, alice, contoso, fabrikam):
    client.force_login(alice)

    ldap_page = reverse("ldapsync:connection", args=[contoso.pk])
    assert client.get(url(contoso))["Location"] == ldap_page  # an AD store's is the LDAP page
    assert client.get(url(fabrikam)).status_code == 404  # another admin's store


def test_sync_now_needs_a_saved_connection(bob_client, fabrikam):
    response = bob_client.post(reverse("entrasync:sync_now", args=[fabrikam.pk]), follow=True)

    assert "Save the Entra ID connection before syncing." in response.content.decode()


def test_the_general_page_shows_the_sync_line(bob_client, synced):
    page = bob_client.get(reverse("identitystores:edit", args=[synced.pk])).content.decode()

    assert "Directory sync:" in page
    assert "last import" in page
    assert "5 users" in page
    assert reverse("entrasync:connection", args=[synced.pk]) in page


def test_the_general_page_says_when_nothing_is_saved(bob_client, fabrikam):
    page = bob_client.get(reverse("identitystores:edit", args=[fabrikam.pk])).content.decode()

    assert "no Entra ID connection saved yet." in page


def test_sync_times_are_in_the_stores_time_zone_named(bob_client, entra_store):
    entra_store.time_zone = "Asia/Tokyo"
    entra_store.save()
    ran = timezone.now() - timedelta(minutes=5, seconds=10)
    failed = ran - timedelta(hours=2)
    EntraSyncStatus.objects.create(
        store=entra_store,
        last_kind="incremental",
        last_incremental=ran,
        last_duration=0.4,
        last_counts={"read": 3},
        last_error="Microsoft Graph answered HTTP 503",
        last_error_at=failed,
    )

    text = re.sub(r"\s+", " ", html.unescape(strip_tags(bob_client.get(url(entra_store)).text)))

    tokyo = ZoneInfo("Asia/Tokyo")
    assert (
        f"Last sync (incremental): {ran.astimezone(tokyo):%Y-%m-%d %H:%M:%S} Asia/Tokyo "
        "(5 minutes ago), 0.4 s" in text
    )
    assert f"Last sync failed at {failed.astimezone(tokyo):%Y-%m-%d %H:%M:%S} Asia/Tokyo" in text
    assert f"{ran:%Y-%m-%d %H:%M:%S}" not in text  # Tokyo is never on UTC
