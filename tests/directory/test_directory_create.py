"""Creating users, groups and contacts on the Directory page of a built-in store, and what the
page says when there is nothing to list."""

import pytest

from directory.models import DirectoryEvent, DirectoryObject
from identitystores.models import IdentityStore, StoreRole
from notifications.models import NotificationSettings, OutgoingMessage


@pytest.fixture
def northwind(db, alice):
    """A built-in store Alice administers, whose notifications go to the IT team."""
    store = IdentityStore.objects.create(name="Northwind", type=IdentityStore.Type.BUILT_IN)
    StoreRole.objects.create(user=alice, store=store)
    NotificationSettings.objects.create(
        store=store,
        smtp_host="127.0.0.1",
        from_email="directory@northwind.test",
        to_recipients="it-team@northwind.test",
    )
    return store


def create_url(store, kind):
    return f"/identity-stores/{store.pk}/directory/new/{kind}/"


def list_url(store):
    return f"/identity-stores/{store.pk}/directory/"


def test_it_creates_a_user_and_notifies(alice_client, northwind):
    response = alice_client.post(
        create_url(northwind, "user"),
        {"new-name": "Ann Lee", "new-email": "ann@northwind.test", "new-mail_enabled": "on",
         "new-language": "en"},
    )  # fmt: skip
    ann = DirectoryObject.objects.get(store=northwind, name="Ann Lee")
    assert response.status_code == 302
    assert response["Location"] == f"{list_url(northwind)}{ann.pk}/"
    assert (ann.kind, ann.email, ann.mail_enabled) == ("user", "ann@northwind.test", True)
    event = DirectoryEvent.objects.get()
    assert (event.kind, event.route, event.actor_name) == ("created", "admin-center", "alice")
    assert "password_expires" not in event.changes
    assert OutgoingMessage.objects.get().to == "it-team@northwind.test"
    page = alice_client.get(response["Location"]).content.decode()
    assert "Created Ann Lee." in page


def test_it_creates_a_group_and_a_contact(alice_client, northwind):
    alice_client.post(
        create_url(northwind, "group"),
        {"new-name": "Sales", "new-email": "", "new-security_type": "public"},
    )
    alice_client.post(
        create_url(northwind, "contact"), {"new-name": "Carl", "new-email": "carl@partner.test"}
    )
    created = DirectoryObject.objects.filter(store=northwind).order_by("name")
    assert [(o.kind, o.name) for o in created] == [("contact", "Carl"), ("group", "Sales")]
    assert created.get(name="Sales").security_type == "public"


def test_it_shows_what_is_wrong_next_to_the_field(alice_client, northwind):
    response = alice_client.post(
        create_url(northwind, "user"),
        {"new-name": "", "new-email": "not-an-address", "new-language": "en"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<p class="error" role="alert" id="id_new-name_error">This field is required.' in page
    assert 'id="id_new-email_error">Enter a valid email address.' in page
    assert not DirectoryObject.objects.exists()
    assert not OutgoingMessage.objects.exists()


def test_it_refuses_a_name_already_used_by_an_object_of_that_kind(
    alice_client, northwind, make_object
):
    make_object("group", "Sales", store=northwind, security_type="private")
    page = alice_client.post(
        create_url(northwind, "group"), {"new-name": "sales", "new-security_type": "private"}
    ).content.decode()
    assert 'id="id_new-name_error">A group named sales already exists in this store.' in page
    assert DirectoryObject.objects.count() == 1


def test_it_answers_404_to_an_admin_of_another_store(client, bob, northwind):
    client.force_login(bob)
    assert client.get(create_url(northwind, "user")).status_code == 404
    response = client.post(create_url(northwind, "user"), {"new-name": "Mallory"})
    assert response.status_code == 404
    assert not DirectoryObject.objects.exists()


def test_it_answers_404_for_an_unknown_kind(alice_client, northwind):
    assert alice_client.get(create_url(northwind, "printer")).status_code == 404


@pytest.mark.parametrize("kind", [IdentityStore.Type.LDAP, IdentityStore.Type.ACTIVE_DIRECTORY])
def test_a_synced_store_has_no_create_and_says_to_sync(alice_client, alice, kind):
    store = IdentityStore.objects.create(name="Contoso LDAP", type=kind)
    StoreRole.objects.create(user=alice, store=store)
    page = alice_client.get(list_url(store)).content.decode()
    assert "Create user" not in page and "/directory/new/" not in page
    assert "This directory is empty" in page
    assert (
        f'<a href="/identity-stores/{store.pk}/directory-connection/">Directory connection</a>'
        in page
    )
    assert "Sync now" in page
    response = alice_client.post(create_url(store, "user"), {"new-name": "Mallory"})
    assert response.status_code == 404
    assert not DirectoryObject.objects.exists()


def test_the_empty_built_in_directory_offers_create_and_import(alice_client, northwind):
    page = alice_client.get(list_url(northwind)).content.decode()
    for kind in ("user", "group", "contact"):
        assert f'href="{create_url(northwind, kind)}">Create {kind}</a>' in page
    assert "This directory is empty" in page
    assert 'python manage.py import_directory --store "Northwind" people.csv' in page
    assert "No objects match" not in page


def test_a_search_without_results_says_how_to_see_everything(alice_client, northwind, make_object):
    make_object("user", "Ann", store=northwind)
    page = alice_client.get(list_url(northwind), {"q": "zzz"}).content.decode()
    assert "No objects match your search." in page
    assert f'<a href="{list_url(northwind)}">Clear the search</a>' in page
    assert "This directory is empty" not in page
