"""The Directory connection page of an Entra ID store: save, keep the secret only while it goes
to the same place, Test connection in plain words, Sync now."""

import pytest
from django.urls import reverse

from entrasync.models import EntraConnection
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
