"""Admin sign-in by binding to an identity store's directory."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from identitystores import credentials
from identitystores.models import StoreRole
from ldapsync.models import DirectoryAccount
from tests.support.ldap_server import person_dn
from tests.support.net import free_port

pytest_plugins = ["tests.support.ldap_server"]


def sign_in(client, store, username, password, **extra):
    data = {"store": store.pk if store else "", "username": username, "password": password}
    return client.post(reverse("login"), data | extra)


def test_it_offers_the_directory_stores_on_the_sign_in_page(client, ldap_store, contoso):
    page = client.get(reverse("login")).content.decode()

    assert "Admin Center account" in page
    assert f'<option value="{ldap_store.pk}">Example LDAP</option>' in page
    assert "Contoso AD" not in page  # no directory sign-in configured there


def test_it_signs_in_by_directory_bind(client, ldap_store):
    response = sign_in(client, ldap_store, "alice", "alice-password")

    assert response.status_code == 302
    account = DirectoryAccount.objects.get(store=ldap_store)
    assert account.dn == person_dn("alice")
    assert account.user.username == f"alice@store-{ldap_store.pk}"
    assert not account.user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == account.user.pk


def test_it_grants_no_role_on_first_sign_in(client, ldap_store):
    sign_in(client, ldap_store, "alice@example.test", "alice-password")

    assert not StoreRole.objects.exists()
    page = client.get(reverse("identitystores:list")).content.decode()
    assert "Example LDAP" not in page
    denied = client.get(reverse("ldapsync:connection", args=[ldap_store.pk]))
    assert denied.status_code == 404


def test_it_grants_no_way_to_make_oneself_a_store_admin(client, ldap_store):
    sign_in(client, ldap_store, "alice", "alice-password")

    user = DirectoryAccount.objects.get(store=ldap_store).user
    assert not (user.is_staff or user.is_superuser or user.get_all_permissions())
    page = client.get(reverse("identitystores:list")).content.decode()
    assert "No identity store yet" in page and "Ask your administrator" in page
    assert reverse("identitystores:create") not in page
    form = {"name": "Mine", "type": "ldap", "enabled": "on", "time_zone": "UTC"}
    assert client.post(reverse("identitystores:create"), form).status_code == 403
    assert not StoreRole.objects.exists()


def test_it_grants_the_store_role_when_the_setting_says_so(client, ldap_store, settings):
    settings.LDAP_SIGNIN_GRANT_ROLE = True

    sign_in(client, ldap_store, "alice", "alice-password")

    role = StoreRole.objects.get()
    assert (role.user.username, role.store) == (f"alice@store-{ldap_store.pk}", ldap_store)


def test_it_keeps_the_sign_in_for_mail_without_smtp_authentication(client, ldap_store):
    sign_in(client, ldap_store, "carol", "carol-password")
    request = type("R", (), {"session": client.session})()

    assert credentials.from_session(request) == ("carol", "carol-password")


def test_it_refuses_a_wrong_password(client, ldap_store):
    response = sign_in(client, ldap_store, "alice", "wrong")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not DirectoryAccount.objects.exists()
    assert "_auth_user_id" not in client.session


def test_it_refuses_an_empty_password_even_though_ldap_would_accept_it(client, ldap_store):
    response = sign_in(client, ldap_store, "alice", "")

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_it_does_not_fall_back_to_a_local_account_of_the_same_name(client, ldap_store):
    get_user_model().objects.create_user("alice", password="local-password-123")

    sign_in(client, ldap_store, "alice", "local-password-123")

    assert "_auth_user_id" not in client.session


def test_it_still_signs_in_local_accounts(client, ldap_store, ldap_admin):
    response = sign_in(client, None, "lena", "lena-local-pass")

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == ldap_admin.pk


def test_it_says_when_the_directory_cannot_be_reached(client, ldap_store, slapd, caplog):
    slapd.stop()

    response = sign_in(client, ldap_store, "alice", "alice-password")

    page = response.content.decode()
    assert "Example LDAP cannot be reached" in page
    assert "alice-password" not in page
    # The anonymous page names no URL or host; the operator finds why in the server log.
    assert slapd.ldap_url not in page and "127.0.0.1" not in page
    assert "connection refused" not in page
    assert f"{slapd.ldap_url}: nothing answered (refused or timed out)" in caplog.text
    assert "Connection refused" in caplog.text  # the precise cause, for the operator only


def test_the_anonymous_sign_in_page_shows_only_the_store_name(client, db):
    from identitystores.models import IdentityStore
    from ldapsync.mapping import PRESETS
    from ldapsync.models import DirectoryConnection, Flavor

    store = IdentityStore.objects.create(name="Corp AD", type=IdentityStore.Type.ACTIVE_DIRECTORY)
    port = free_port()  # nothing listens: the failed sign-in below stays on loopback
    conn = DirectoryConnection.objects.create(
        store=store,
        flavor=Flavor.ACTIVE_DIRECTORY,
        urls=f"ldap://127.0.0.1:{port}/ ldaps://localhost:{port}/",
        bind_dn="CN=svc-dirmgr,OU=Service Accounts,DC=corp,DC=example",
        bind_password="svc-bind-secret",
        base_dn="OU=Staff,DC=corp,DC=example",
        signin_enabled=True,
        **PRESETS[Flavor.ACTIVE_DIRECTORY],
    )
    details = [
        str(port), "127.0.0.1", "localhost", "ldap://", "ldaps://", "svc-dirmgr", "DC=corp",
        "OU=Staff", "svc-bind-secret", conn.user_filter, conn.login_filter,
    ]  # fmt: skip

    page = client.get(reverse("login")).content.decode()
    failed = sign_in(client, store, "someone", "a-password").content.decode()

    assert f'<option value="{store.pk}">Corp AD</option>' in page
    assert "Corp AD cannot be reached" in failed
    for detail in details:
        assert detail not in page, detail
        assert detail not in failed, detail


def test_it_keeps_the_same_user_after_a_rename(client, ldap_store, slapd):
    sign_in(client, ldap_store, "bob", "bob-password")
    first = DirectoryAccount.objects.get().user
    client.logout()
    slapd.modify(
        f"dn: {person_dn('bob')}\nchangetype: modrdn\nnewrdn: uid=robert\ndeleteoldrdn: 1\n"
    )

    sign_in(client, ldap_store, "robert", "bob-password")

    assert int(client.session["_auth_user_id"]) == first.pk
    assert DirectoryAccount.objects.get().dn == person_dn("robert")


@pytest.mark.parametrize("login", ["*", "alice)(uid=*", "a*"])
def test_it_escapes_the_login_in_the_search_filter(client, ldap_store, login):
    sign_in(client, ldap_store, login, "alice-password")

    assert "_auth_user_id" not in client.session
