"""Identity Stores and Portals pages, and who may see what."""

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from identitystores.models import AuditEntry, IdentityStore, Portal, StoreRole


def test_it_lists_only_the_admins_stores(alice_client, contoso, fabrikam):
    page = alice_client.get("/identity-stores/").content.decode()
    assert "Contoso AD" in page
    assert "Fabrikam Entra" not in page


NEW_STORE = {"name": "Northwind LDAP", "type": "ldap", "enabled": "on", "time_zone": "UTC"}


@pytest.fixture
def creator(alice):
    """Alice, granted the right to create identity stores."""
    alice.user_permissions.add(Permission.objects.get(codename="add_identitystore"))
    return alice


def test_it_creates_a_store_and_grants_its_creator_a_role(client, creator):
    client.force_login(creator)
    response = client.post("/identity-stores/new/", NEW_STORE)
    store = IdentityStore.objects.get(name="Northwind LDAP")
    assert response.url == f"/identity-stores/{store.pk}/edit/"
    assert StoreRole.objects.filter(user=creator, store=store).exists()
    assert AuditEntry.objects.filter(store=store, action="store created").exists()


def test_it_lets_a_superuser_create_a_store_without_taking_a_role(client, root):
    client.force_login(root)
    assert 'href="/identity-stores/new/"' in client.get("/identity-stores/").content.decode()
    assert client.post("/identity-stores/new/", NEW_STORE).status_code == 302
    assert not StoreRole.objects.exists()


def test_it_refuses_store_creation_to_an_admin_without_the_permission(alice_client):
    page = alice_client.get("/identity-stores/").content.decode()
    assert 'href="/identity-stores/new/"' not in page
    assert alice_client.get("/identity-stores/new/").status_code == 403
    response = alice_client.post("/identity-stores/new/", NEW_STORE)
    assert response.status_code == 403
    assert "needs a permission you do not have" in response.content.decode()
    assert not IdentityStore.objects.filter(name="Northwind LDAP").exists()


def test_it_tells_a_user_without_a_store_whom_to_ask(db, client):
    client.force_login(get_user_model().objects.create_user("carol", "c@x.test", "pw"))
    page = client.get("/identity-stores/").content.decode()
    assert "No identity store yet" in page and "Ask your administrator" in page
    assert "Create identity store" not in page


def test_it_rejects_an_unknown_time_zone(client, creator):
    client.force_login(creator)
    response = client.post(
        "/identity-stores/new/", {"name": "X", "type": "ldap", "time_zone": "Mars/Olympus"}
    )
    assert "Enter a time zone name" in response.content.decode()
    assert not IdentityStore.objects.filter(name="X").exists()


def test_it_edits_and_deletes_a_store(alice_client, contoso):
    alice_client.post(
        f"/identity-stores/{contoso.pk}/edit/",
        {"name": "Contoso Corp", "type": "ad", "enabled": "", "time_zone": "UTC"},
    )
    contoso.refresh_from_db()
    assert (contoso.name, contoso.enabled) == ("Contoso Corp", False)
    assert alice_client.post(f"/identity-stores/{contoso.pk}/delete/").status_code == 302
    assert not IdentityStore.objects.filter(pk=contoso.pk).exists()


def test_it_answers_404_for_every_page_of_another_store(alice_client, fabrikam):
    for suffix in (
        "edit/",
        "delete/",
        "configurations/",
        "history/",
        "configurations/notifications/",
    ):
        url = f"/identity-stores/{fabrikam.pk}/{suffix}"
        assert alice_client.get(url).status_code == 404, url
        assert alice_client.post(url).status_code == 404, url
    assert IdentityStore.objects.filter(pk=fabrikam.pk).exists()


def test_it_requires_sign_in_everywhere(client, contoso):
    for url in (
        "/identity-stores/",
        f"/identity-stores/{contoso.pk}/edit/",
        "/portals/",
        f"/identity-stores/{contoso.pk}/configurations/notifications/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url


def test_it_signs_in_with_a_password(client, alice):
    from tests.conftest import PASSWORD

    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert PASSWORD.encode() not in b"".join(str(v).encode() for v in client.session.values())
    assert client.get("/identity-stores/").status_code == 200


def test_it_creates_portals_linked_to_the_admins_stores(alice_client, contoso, fabrikam):
    alice_client.post(
        "/portals/new/",
        {"name": "Self-service", "url": "https://ssp.contoso.test/", "stores": [contoso.pk]},
    )
    portal = Portal.objects.get(name="Self-service")
    assert list(portal.stores.all()) == [contoso]
    response = alice_client.post(
        "/portals/new/", {"name": "Sneaky", "url": "https://x.test/", "stores": [fabrikam.pk]}
    )
    assert "Select a valid choice" in response.content.decode()


def test_it_keeps_links_to_stores_the_admin_cannot_see(alice_client, contoso, fabrikam):
    portal = Portal.objects.create(name="Shared", url="https://shared.test/")
    portal.stores.add(contoso, fabrikam)
    alice_client.post(
        f"/portals/{portal.pk}/edit/",
        {"name": "Shared", "url": "https://shared.test/", "stores": [contoso.pk]},
    )
    assert set(portal.stores.all()) == {contoso, fabrikam}
    alice_client.post(f"/portals/{portal.pk}/delete/")
    assert Portal.objects.filter(pk=portal.pk).exists()


def test_it_passes_the_deployment_checklist_with_production_settings(tmp_path):
    env = {
        "DEBUG": "false",
        "DIRMGR_HTTPS": "true",
        "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-9f8e7d",
        "ALLOWED_HOSTS": "dirmgr.example.com",
        "DIRMGR_VAR_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
