"""Provider presets on the Notifications page: Apply preset fills the fields, saves nothing."""

import re

import pytest

from notifications import presets
from notifications.models import NotificationSettings
from tests.support.notifications_page import URL

TENANT_ENDPOINT = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
TYPED = {
    "smtp_host": "mail.contoso.test",
    "from_email": "notify@contoso.test",
    "port": "25",
    "auth_type": "basic",
    "to_recipients": "helpdesk@contoso.test",
}


def apply(client, store, key, button="", **changes):
    data = {**TYPED, "preset": key, "apply_preset": button, **changes}
    return client.post(URL.format(store.pk), {k: v for k, v in data.items() if v is not None})


def value_of(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


def checked(page: str, name: str, value: str = "") -> bool:
    value_part = f'[^>]*value="{value}"' if value else ""
    return re.search(rf'<input[^>]*name="{name}"{value_part}[^>]*checked', page) is not None


@pytest.fixture
def exchange_oauth(contoso):
    """Contoso already sends through Exchange Online with OAuth 2.0 and a stored secret."""
    return NotificationSettings.objects.create(
        store=contoso,
        smtp_host="smtp.office365.com",
        from_email="notify@contoso.test",
        port=587,
        ssl_enabled=True,
        use_smtp_auth=True,
        auth_type="oauth2",
        token_endpoint=TENANT_ENDPOINT,
        client_id="app-id",
        client_secret="stored-client-secret",
        scope="https://outlook.office365.com/.default",
    )


def test_it_offers_every_preset_on_the_page(alice_client, contoso):
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert '<label for="id_preset">Provider preset</label>' in page
    for label in (
        "Exchange Online (SMTP with OAuth 2.0)",
        "Office 365 through Microsoft Graph",
        "Google Workspace / Gmail",
        "Internal relay (no limits)",
    ):
        assert label in page
    assert 'id="presets-data"' in page
    assert "Apply preset" in page


def test_it_fills_the_exchange_online_values_without_saving(alice_client, contoso):
    response = apply(alice_client, contoso, "exchange_online")
    page = response.content.decode()
    assert response.status_code == 200
    assert value_of(page, "smtp_host") == "smtp.office365.com"
    assert value_of(page, "port") == "587"
    assert checked(page, "ssl_enabled") and checked(page, "use_smtp_auth")
    assert checked(page, "auth_type", "oauth2") and not checked(page, "auth_type", "basic")
    assert value_of(page, "token_endpoint") == (
        "https://login.microsoftonline.com/&lt;tenant&gt;/oauth2/v2.0/token"
    )
    assert value_of(page, "scope") == "https://outlook.office365.com/.default"
    assert "Preset applied: Exchange Online (SMTP with OAuth 2.0)" in page
    assert "3 connections at a time, 30 messages a minute, 500 recipients per message, " in page
    assert "nothing is saved yet" in page
    assert value_of(page, "to_recipients") == "helpdesk@contoso.test"  # typed values stay
    assert value_of(page, "from_email") == "notify@contoso.test"
    assert 'role="alert" id="id_' not in page.replace('id="id_test_recipient_error"', "")
    assert "were not saved" not in page  # a preset to review, not a failed Save
    assert not NotificationSettings.objects.filter(store=contoso).exists()


def test_it_keeps_the_stored_secret_through_a_preset_and_save(alice_client, exchange_oauth):
    store = exchange_oauth.store
    typed = {"smtp_host": "x.test", "token_endpoint": TENANT_ENDPOINT, "client_id": "app-id"}
    page = apply(alice_client, store, "exchange_online", **typed).content.decode()
    assert "stored-client-secret" not in page
    assert "•••• set" in page
    assert value_of(page, "token_endpoint") == TENANT_ENDPOINT  # the tenant carried over
    exchange_oauth.refresh_from_db()
    assert exchange_oauth.client_secret == "stored-client-secret"
    form = {
        "smtp_host": value_of(page, "smtp_host"),
        "from_email": "notify@contoso.test",
        "port": value_of(page, "port"),
        "ssl_enabled": "on",
        "use_smtp_auth": "on",
        "auth_type": "oauth2",
        "token_endpoint": TENANT_ENDPOINT,
        "client_id": "app-id",
        "scope": value_of(page, "scope"),
    }
    assert alice_client.post(URL.format(store.pk), form).status_code == 302
    exchange_oauth.refresh_from_db()
    assert exchange_oauth.client_secret == "stored-client-secret"


def test_it_carries_the_tenant_between_the_microsoft_presets(alice_client, contoso):
    page = apply(
        alice_client, contoso, "office365_graph", token_endpoint=TENANT_ENDPOINT
    ).content.decode()
    assert value_of(page, "token_endpoint") == "https://graph.microsoft.com/v1.0"
    assert value_of(page, "scope") == "contoso.onmicrosoft.com"
    assert value_of(page, "smtp_host") == "graph.microsoft.com"
    page = apply(
        alice_client,
        contoso,
        "exchange_online",
        token_endpoint="https://graph.microsoft.com/v1.0",
        scope="contoso.onmicrosoft.com",
    ).content.decode()
    assert value_of(page, "token_endpoint") == TENANT_ENDPOINT


def test_the_internal_relay_preset_turns_authentication_off(alice_client, contoso):
    page = apply(alice_client, contoso, "internal_relay", use_smtp_auth="on").content.decode()
    assert value_of(page, "port") == "25"
    assert not checked(page, "use_smtp_auth") and not checked(page, "ssl_enabled")
    assert value_of(page, "smtp_host") == "mail.contoso.test"  # the relay is the admin's own
    assert "(no sending limits)" in page


def test_the_google_preset_uses_gmail_with_starttls(alice_client, contoso):
    page = apply(alice_client, contoso, "google_workspace").content.decode()
    assert value_of(page, "smtp_host") == "smtp.gmail.com"
    assert value_of(page, "port") == "587"
    assert checked(page, "ssl_enabled") and checked(page, "auth_type", "basic")
    assert value_of(page, "scope") == "https://mail.google.com/"
    assert "100 recipients per message, 2,000 recipients a day" in page


def test_the_switch_button_applies_the_exchange_preset(alice_client, contoso):
    page = apply(
        alice_client, contoso, "", button="exchange_online", smtp_host="smtp.office365.com"
    ).content.decode()
    assert checked(page, "auth_type", "oauth2")
    assert "Preset applied: Exchange Online" in page


def test_apply_without_a_choice_asks_for_one_and_keeps_the_typed_values(alice_client, contoso):
    page = apply(alice_client, contoso, "", port="2525").content.decode()
    assert "Choose a provider in the Provider preset list" in page
    assert value_of(page, "port") == "2525"
    assert not NotificationSettings.objects.filter(store=contoso).exists()


def test_an_unknown_preset_is_not_applied(alice_client, contoso):
    page = apply(alice_client, contoso, "../../etc").content.decode()
    assert "Choose a provider" in page
    assert value_of(page, "smtp_host") == "mail.contoso.test"


def test_save_refuses_the_tenant_placeholder_next_to_the_field(alice_client, contoso):
    data = {
        **TYPED,
        "smtp_host": "smtp.office365.com",
        "port": "587",
        "ssl_enabled": "on",
        "use_smtp_auth": "on",
        "auth_type": "oauth2",
        "token_endpoint": "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token",
        "client_id": "app",
        "client_secret": "s3",
        "scope": "https://outlook.office365.com/.default",
    }
    page = alice_client.post(URL.format(contoso.pk), data).content.decode()
    assert 'id="id_token_endpoint_error">Replace &lt;tenant&gt; with your tenant ID' in page
    assert not NotificationSettings.objects.filter(store=contoso).exists()


def test_another_stores_admin_cannot_apply_a_preset(client, bob, contoso):
    client.force_login(bob)
    assert apply(client, contoso, "exchange_online").status_code == 404


def test_every_preset_names_all_four_sending_limits():
    for preset in presets.PRESETS.values():
        values = presets.preset_values(preset, {})
        assert set(presets.LIMIT_FIELDS) <= set(values)
    exchange = presets.preset_values(presets.EXCHANGE_ONLINE, {})
    assert [exchange[name] for name in presets.LIMIT_FIELDS] == [3, 30, 500, 10_000]
    relay = presets.preset_values(presets.INTERNAL_RELAY, {})
    assert [relay[name] for name in presets.LIMIT_FIELDS] == [None, None, None, None]


@pytest.mark.parametrize(
    ("current", "tenant"),
    [
        ({"token_endpoint": TENANT_ENDPOINT}, "contoso.onmicrosoft.com"),
        ({"token_endpoint": presets.MICROSOFT_TOKEN_ENDPOINT.format(tenant="organizations")}, None),
        ({"scope": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        ({"scope": "https://outlook.office365.com/.default"}, None),
        ({}, None),
    ],
)
def test_it_finds_the_tenant_already_typed(current, tenant):
    assert presets.tenant_of(current) == tenant


def test_a_secret_typed_before_apply_is_asked_for_again_never_shown(alice_client, contoso):
    page = apply(alice_client, contoso, "exchange_online", client_secret="typed-secret").content
    page = page.decode()
    assert "typed-secret" not in page
    assert "type it again before Save" in page
    assert "type it again" not in apply(alice_client, contoso, "exchange_online").content.decode()
