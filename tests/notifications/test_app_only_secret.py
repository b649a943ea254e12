"""An app-only Client Secret (OAuth 2.0 without Username) sends as the From mailbox — any mailbox
of the tenant — so changing the From address needs the secret typed again."""

import pytest

from notifications.models import NotificationSettings
from tests.support.notifications_page import URL, field_html

GRAPH = {
    "smtp_host": "127.0.0.1",
    "from_email": "notify@contoso.test",
    "port": "587",
    "ssl_enabled": "on",
    "use_smtp_auth": "on",
    "auth_type": "oauth2",
    "token_endpoint": "https://127.0.0.1/v1.0",
    "client_id": "1111-2222",
    "scope": "contoso.onmicrosoft.com",
    "to_recipients": "",
    "cc_recipients": "",
}
XOAUTH2 = {
    **GRAPH,
    "token_endpoint": "https://127.0.0.1/contoso.onmicrosoft.com/oauth2/v2.0/token",
    "scope": "https://outlook.office365.com/SMTP.Send",
}
SECRET = "app-only-client-secret"


def post(client, store, data, **changes):
    return client.post(URL.format(store.pk), {**data, **changes})


def saved(store) -> NotificationSettings:
    return NotificationSettings.objects.get(store=store)


@pytest.mark.parametrize("data", [GRAPH, XOAUTH2], ids=["graph", "xoauth2"])
def test_it_asks_for_the_secret_again_when_the_from_address_changes(alice_client, contoso, data):
    assert post(alice_client, contoso, data, client_secret=SECRET).status_code == 302
    response = post(alice_client, contoso, data, from_email="ceo@contoso.test")
    assert response.status_code == 200
    assert "The From email address changed" in field_html(response, "client_secret")
    assert saved(contoso).from_email == "notify@contoso.test"
    response = post(
        alice_client, contoso, data, from_email="ceo@contoso.test", client_secret=SECRET
    )
    assert response.status_code == 302 and saved(contoso).from_email == "ceo@contoso.test"


def test_it_asks_again_when_a_delegated_secret_becomes_app_only(alice_client, contoso):
    delegated = {**XOAUTH2, "oauth_username": "svc@contoso.test"}
    post(alice_client, contoso, delegated, client_secret=SECRET, oauth_password="pw")
    assert saved(contoso).oauth_username == "svc@contoso.test"
    response = post(alice_client, contoso, XOAUTH2, oauth_username="")
    assert response.status_code == 200
    assert "the stored Client Secret is not carried over" in response.content.decode()


def test_a_delegated_secret_keeps_working_for_a_new_from_address(alice_client, contoso):
    delegated = {**XOAUTH2, "oauth_username": "svc@contoso.test"}
    post(alice_client, contoso, delegated, client_secret=SECRET, oauth_password="pw")
    response = post(alice_client, contoso, delegated, from_email="team@contoso.test")
    assert response.status_code == 302
    assert (saved(contoso).from_email, saved(contoso).client_secret) == (
        "team@contoso.test",
        SECRET,
    )
