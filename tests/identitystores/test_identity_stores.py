"""Identity Stores and Portals pages, and who may see what."""

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from identitystores.models import AuditEntry, IdentityStore, Portal, StoreRole
from tests.support.confirm import read_confirmation


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
    alice_client.post(f"/portals/{portal.pk}/delete/", {"confirm": "yes"})
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


@pytest.fixture
def shared(contoso, fabrikam):
    """A portal whose URL goes into both Contoso's and Fabrikam's password-expiry mails."""
    portal = Portal.objects.create(name="Shared", url="https://shared.test/")
    portal.stores.add(contoso, fabrikam)
    return portal


def test_it_refuses_to_let_one_store_admin_edit_a_portal_shared_with_another(
    alice_client, shared, contoso
):
    form = {"name": "Shared", "url": "https://evil.test/", "stores": [contoso.pk]}
    response = alice_client.post(f"/portals/{shared.pk}/edit/", form, follow=True)
    assert "linked to identity stores you do not manage" in response.content.decode()
    shared.refresh_from_db()
    assert shared.url == "https://shared.test/"
    assert alice_client.get(f"/portals/{shared.pk}/edit/").status_code == 302
    assert not AuditEntry.objects.filter(action__startswith="portal").exists()


def test_it_names_only_the_stores_the_viewer_administers(alice_client, shared):
    page = alice_client.get("/portals/").content.decode()
    assert "Contoso AD" in page and "Fabrikam Entra" not in page
    assert "stores you do not manage" in page
    assert f"/portals/{shared.pk}/edit/" not in page


def test_it_records_a_shared_portal_edit_in_every_linked_store(client, root, shared):
    client.force_login(root)
    contoso, fabrikam = shared.stores.order_by("name")
    form = {"name": "Shared", "url": "https://new.test/", "stores": [contoso.pk]}
    assert client.post(f"/portals/{shared.pk}/edit/", form).status_code == 302
    url_change = ("Portal “Shared” URL", "https://shared.test/", "https://new.test/")
    unlinked = ("Portal “Shared” linked to this store", "yes", "no")
    for store, expected in ((contoso, {url_change}), (fabrikam, {url_change, unlinked})):
        entries = AuditEntry.objects.filter(store=store, action="portal edited")
        assert {(e.field, e.old_value, e.new_value) for e in entries} == expected
        assert {e.actor_name for e in entries} == {"root"}
    history = client.get(f"/identity-stores/{contoso.pk}/history/").content.decode()
    assert "https://new.test/" in history and "Fabrikam" not in history


def test_it_records_creating_editing_and_deleting_an_own_portal(alice_client, contoso):
    form = {"name": "Mine", "url": "https://mine.test/", "stores": [contoso.pk]}
    alice_client.post("/portals/new/", form)
    portal = Portal.objects.get(name="Mine")
    alice_client.post(f"/portals/{portal.pk}/edit/", form | {"url": "https://mine2.test/"})
    asked = read_confirmation(alice_client.post(f"/portals/{portal.pk}/delete/"))
    assert asked.question == "Delete the portal “Mine”?"
    assert Portal.objects.filter(pk=portal.pk).exists()
    alice_client.post(asked.action, asked.data)
    actions = AuditEntry.objects.filter(store=contoso).order_by("id").values_list("action", "field")
    assert list(actions) == [
        ("portal created", "Portal “Mine” Name"),
        ("portal created", "Portal “Mine” URL"),
        ("portal created", "Portal “Mine” linked to this store"),
        ("portal edited", "Portal “Mine” URL"),
        ("portal deleted", "Portal “Mine” Name"),
        ("portal deleted", "Portal “Mine” URL"),
        ("portal deleted", "Portal “Mine” linked to this store"),
    ]
