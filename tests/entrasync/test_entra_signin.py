"""Sign in with Microsoft through the loopback tenant: the whole authorization-code flow, the ID
token checks (each spoiled token is refused with a plain message and no session), and the role
taken from the Administrators group."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.messages import get_messages

from dirmgr.sessions import SIGNED_IN_AT
from entrasync.models import EntraAccount
from identitystores import credentials
from identitystores.models import StoreRole
from tests.support.entra import ALICE, DAVE, ENGINEERING, connect

pytestmark = pytest.mark.django_db


@pytest.fixture
def signin_store(fabrikam, signin_server):
    connect(fabrikam, signin_server, signin_enabled=True, signin_group=ENGINEERING)
    return fabrikam


def pick_account(client, store, server, ca_bundle, oid: str):
    """Start at our page, choose `oid` on the provider's page; the provider's redirect back."""
    started = client.get(f"/login/microsoft/{store.pk}/")
    assert started.status_code == 302
    auth_uri = started["Location"]
    assert auth_uri.startswith(f"{server.base_url}/{server.tenant}/oauth2/v2.0/authorize?")
    page = requests.get(auth_uri, verify=ca_bundle, timeout=10)
    assert "Pick an account" in page.text
    back = requests.get(
        f"{auth_uri}&account={oid}", verify=ca_bundle, timeout=10, allow_redirects=False
    )
    assert back.status_code == 302
    return back.headers["Location"]


def come_back(client, location: str):
    parts = urlsplit(location)
    assert parts.path == "/login/microsoft/callback/"
    return client.get(f"{parts.path}?{parts.query}")


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def page_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_signs_in_a_member_of_the_administrators_group(
    client, signin_store, signin_server, ca_bundle
):
    back = pick_account(client, signin_store, signin_server, ca_bundle, ALICE)
    response = come_back(client, back)
    assert response.status_code == 302
    assert signed_in(client)
    account = EntraAccount.objects.get(store=signin_store, object_id=ALICE)
    assert account.user.username == "alice@fabrikam.test@entra-" + str(signin_store.pk)
    assert account.user.first_name == "Alice Engineer"
    assert StoreRole.objects.filter(user=account.user, store=signin_store).exists()
    assert client.session[credentials.PASSWORDLESS_KEY] is True
    assert SIGNED_IN_AT in client.session  # the session lifetime counts from here
    assert credentials.SESSION_KEY not in client.session


def test_the_sign_in_page_offers_microsoft_for_such_stores(client, signin_store):
    page = client.get("/login/").content.decode()
    assert "Sign in with Microsoft" in page
    assert f"/login/microsoft/{signin_store.pk}/" in page


def test_it_refuses_an_account_outside_the_group(client, signin_store, signin_server, ca_bundle):
    back = pick_account(client, signin_store, signin_server, ca_bundle, DAVE)
    response = come_back(client, back)
    assert response["Location"] == "/login/"
    assert not signed_in(client)
    assert "not in the store's Administrators group" in page_messages(response)[0]


def test_without_groups_claim_the_synced_directory_decides(
    client, signin_store, signin_server, ca_bundle
):
    from entrasync.sync import sync_store

    signin_server.groups_claim = False
    sync_store(signin_store)
    come_back(client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE))
    assert signed_in(client)


def test_groups_overage_falls_back_to_the_synced_directory(
    client, signin_store, signin_server, ca_bundle
):
    signin_server.groups_limit = 0  # every account is "in too many groups"
    come_back(client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE))
    assert not signed_in(client)  # nothing synced yet: no membership known
    from entrasync.sync import sync_store

    sync_store(signin_store)
    come_back(client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE))
    assert signed_in(client)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ({"nonce": "another-sign-in"}, "nonce mismatch"),
        ({"aud": "99999999-0000-0000-0000-000000000000"}, "issued to another application"),
        ({"iss": "https://login.microsoftonline.com/other/v2.0"}, "issued by another tenant"),
        ({"exp": 1_000_000_000, "iat": 999_990_000, "nbf": 999_990_000}, "it has expired"),
    ],
)
def test_a_spoiled_id_token_is_refused(
    client, signin_store, signin_server, ca_bundle, spoil, message
):
    signin_server.id_token_changes = spoil
    response = come_back(
        client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE)
    )
    assert response["Location"] == "/login/"
    assert not signed_in(client)
    assert message in page_messages(response)[0]
    assert not EntraAccount.objects.exists()


def test_a_token_signed_with_a_key_not_in_the_jwks_is_refused(
    client, signin_store, signin_server, ca_bundle
):
    signin_server.sign_with_foreign_key = True
    response = come_back(
        client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE)
    )
    assert not signed_in(client)
    assert "not signed with a key the tenant publishes" in page_messages(response)[0]


def test_a_code_from_another_sign_in_fails_pkce(client, signin_store, signin_server, ca_bundle):
    """An intercepted code replayed into another browser's sign-in: the verifier does not match
    the challenge the code was issued for."""
    from django.test import Client

    victim = Client()
    stolen = urlsplit(pick_account(victim, signin_store, signin_server, ca_bundle, ALICE))
    own = urlsplit(pick_account(client, signin_store, signin_server, ca_bundle, DAVE))
    own_state = dict(p.split("=", 1) for p in own.query.split("&"))["state"]
    stolen_code = dict(p.split("=", 1) for p in stolen.query.split("&"))["code"]
    response = client.get("/login/microsoft/callback/", {"code": stolen_code, "state": own_state})
    assert not signed_in(client)
    assert "Code_Verifier does not match" in page_messages(response)[0]


def test_an_answer_without_a_started_sign_in_is_refused(client, signin_store):
    response = client.get("/login/microsoft/callback/", {"code": "x", "state": "y"})
    assert response["Location"] == "/login/"
    assert not signed_in(client)
    assert "No Microsoft sign-in was started" in page_messages(response)[0]


def test_a_store_without_microsoft_sign_in_has_no_start(client, fabrikam, signin_server):
    connect(fabrikam, signin_server)
    assert client.get(f"/login/microsoft/{fabrikam.pk}/").status_code == 404


def test_the_notifications_page_says_there_is_no_sign_in_password(
    client, signin_store, signin_server, ca_bundle
):
    from notifications.models import NotificationSettings

    NotificationSettings.objects.create(
        store=signin_store, smtp_host="127.0.0.1", from_email="directory@fabrikam.test"
    )
    come_back(client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE))
    url = f"/identity-stores/{signin_store.pk}/configurations/notifications/"
    page = client.get(url).content.decode()
    assert "You signed in with a Microsoft account" in page
    assert credentials.from_session(client) == ("", "")


def test_a_password_sign_in_shows_no_such_note(alice_client, contoso):
    url = f"/identity-stores/{contoso.pk}/configurations/notifications/"
    assert "You signed in with a Microsoft account" not in alice_client.get(url).content.decode()


def test_refused_sign_ins_count_towards_the_address_lockout(
    client, signin_store, signin_server, ca_bundle, settings
):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 2
    signin_server.sign_with_foreign_key = True
    for _ in range(2):
        come_back(client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE))
    signin_server.sign_with_foreign_key = False
    response = come_back(
        client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE)
    )
    assert not signed_in(client)
    assert "Too many failed sign-ins" in response.content.decode()


def test_the_connection_page_saves_sign_in_and_names_the_redirect_uri(client, bob, fabrikam, graph):
    from tests.entrasync.test_entra_connection_page import form, url

    client.force_login(bob)
    page = client.get(url(fabrikam)).content.decode()
    assert "http://testserver/login/microsoft/callback/" in page
    data = form(graph, signin_enabled="on", signin_group="not a group")
    response = client.post(url(fabrikam), data)
    assert "Enter the group&#x27;s object ID" in response.content.decode()
    client.post(url(fabrikam), data | {"signin_group": ENGINEERING})
    conn = fabrikam.entra_connection
    assert (conn.signin_enabled, conn.signin_group) == (True, ENGINEERING)


def test_leaving_the_group_takes_the_role_away(client, signin_store, signin_server, ca_bundle):
    from django.test import Client

    come_back(client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE))
    user = EntraAccount.objects.get(object_id=ALICE).user
    assert StoreRole.objects.filter(user=user, store=signin_store).exists()
    signin_server.remove_member(ENGINEERING, ALICE)
    again = Client()
    come_back(again, pick_account(again, signin_store, signin_server, ca_bundle, ALICE))
    assert not signed_in(again)
    assert not StoreRole.objects.filter(user=user, store=signin_store).exists()


def test_a_multi_tenant_authority_is_refused(client, signin_store, signin_server, ca_bundle):
    """`common` would take accounts of any tenant: its issuer is a `{tenantid}` template."""
    original = signin_server.openid_configuration

    def common(tenant):
        status, body = original(tenant)
        return status, {**body, "issuer": f"{signin_server.base_url}/{{tenantid}}/v2.0"}

    signin_server.openid_configuration = common
    response = come_back(
        client, pick_account(client, signin_store, signin_server, ca_bundle, ALICE)
    )
    assert not signed_in(client)
    assert "not common or organizations" in page_messages(response)[0]


def test_a_cancelled_sign_in_says_what_microsoft_answered(client, signin_store):
    client.get(f"/login/microsoft/{signin_store.pk}/")
    state = client.session["entra_signin_flow"]["flow"]["state"]
    answer = {
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent to access the app.",
        "state": state,
    }
    response = client.get("/login/microsoft/callback/", answer)
    assert not signed_in(client)
    assert page_messages(response) == [
        "Microsoft refused the sign-in: AADSTS65004: User declined to consent to access the app."
    ]
