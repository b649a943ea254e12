"""Provider presets and the switch away from Basic to Exchange Online, in a real browser."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from identitystores.models import IdentityStore
from notifications.models import NotificationSettings
from tests.support.browser import SCREENSHOTS, sign_in, store_admin

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"
SMTP_PASSWORD = "Mailbox-pa55word!"
TENANT_ENDPOINT = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"


@pytest.fixture
def store(live_server, transactional_db):
    store = IdentityStore.objects.create(
        name="Contoso AD", type=IdentityStore.Type.ACTIVE_DIRECTORY
    )
    store_admin(store, PASSWORD)
    return store


def sign_in_and_open(page: Page, live_server, store) -> None:
    sign_in(page, live_server.url, PASSWORD)
    page.goto(f"{live_server.url}/identity-stores/{store.pk}/configurations/notifications/")
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()


def basic_on_exchange(store, port: int = 587) -> NotificationSettings:
    return NotificationSettings.objects.create(
        store=store,
        smtp_host="smtp.office365.com",
        from_email="mailer@contoso.test",
        port=port,
        ssl_enabled=True,
        use_smtp_auth=True,
        auth_type="basic",
        smtp_username="mailer@contoso.test",
        smtp_password=SMTP_PASSWORD,
    )


def test_a_preset_fills_the_fields_in_place_and_saves_only_on_save(
    page: Page, live_server, store, screenshot
):
    sign_in_and_open(page, live_server, store)
    page.get_by_label("From email address").fill("notify@contoso.test")
    page.evaluate("window.stillThisPage = true")
    page.get_by_label("Provider preset").select_option(
        label="Exchange Online (SMTP with OAuth 2.0)"
    )
    page.get_by_role("button", name="Apply preset").click()
    expect(page.locator("#preset-status")).to_contain_text(
        "Preset applied: Exchange Online (SMTP with OAuth 2.0) (3 connections at a time, "
        "30 messages a minute, 500 recipients per message, 10,000 recipients a day)."
    )
    assert page.evaluate("window.stillThisPage") is True  # filled in place, no reload
    expect(page.get_by_label("SMTP Server", exact=True)).to_have_value("smtp.office365.com")
    expect(page.get_by_label("Port", exact=True)).to_have_value("587")
    expect(page.get_by_label("SSL enabled")).to_be_checked()
    expect(page.get_by_label("Token Endpoint")).to_be_visible()
    expect(page.get_by_label("Token Endpoint")).to_have_value(
        "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token"
    )
    expect(page.get_by_label("Scope")).to_have_value("https://outlook.office365.com/.default")
    expect(page.get_by_label("From email address")).to_have_value("notify@contoso.test")
    screenshot("presets-01-exchange-preset-applied")
    assert not NotificationSettings.objects.filter(store=store).exists()

    page.get_by_label("Token Endpoint").fill(TENANT_ENDPOINT)
    page.get_by_label("Client ID").fill("app-id")
    page.get_by_label("Client Secret").fill("client-secret-1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    saved = NotificationSettings.objects.get(store=store)
    assert (saved.smtp_host, saved.port, saved.auth_type) == ("smtp.office365.com", 587, "oauth2")
    assert saved.token_endpoint == TENANT_ENDPOINT and saved.client_secret == "client-secret-1"

    # The tenant typed for Exchange Online goes with the store to the Graph preset.
    page.get_by_label("Provider preset").select_option(label="Office 365 through Microsoft Graph")
    page.get_by_role("button", name="Apply preset").click()
    expect(page.get_by_label("Scope")).to_have_value("contoso.onmicrosoft.com")
    expect(page.get_by_label("Token Endpoint")).to_have_value("https://graph.microsoft.com/v1.0")


def test_a_basic_store_on_exchange_is_warned_and_switches_in_one_step(
    page: Page, live_server, store, exchange_on_loopback, screenshot
):
    basic_on_exchange(store, port=exchange_on_loopback.port)
    sign_in_and_open(page, live_server, store)
    warning = page.get_by_role(
        "region", name="Basic authentication to Exchange Online is being turned off"
    )
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("end of December 2026")
    screenshot("presets-02-basic-exchange-warning")
    assert Axe().run(page).response["violations"] == []
    # A phone: the warning and the preset row wrap inside the SMTP Server section. (The page's
    # own layout at this width is the base template's.)
    page.set_viewport_size({"width": 390, "height": 844})
    section = page.locator("#smtp-section").bounding_box()
    for part in (warning, page.locator("#preset-row"), page.locator("#switch-to-oauth")):
        box = part.bounding_box()
        assert box["x"] + box["width"] <= section["x"] + section["width"] + 1
    screenshot("presets-02b-basic-exchange-warning-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    page.get_by_role("button", name="Test Server").click()
    dialog = page.get_by_role("dialog", name="Test Notification")
    dialog.get_by_label("Email address to receive the test notification").fill("ops@contoso.test")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator("#test-result")).to_contain_text("550 5.7.30", timeout=20_000)
    expect(dialog).to_contain_text("Exchange Online no longer accepts Basic authentication")
    expect(
        dialog.get_by_role("link", name="Setting up OAuth 2.0 for Exchange Online")
    ).to_be_visible()
    screenshot("presets-03-test-server-5-7-30")
    dialog.get_by_role("button", name="Close").click()

    warning.get_by_role("button", name="Switch to OAuth 2.0 (Exchange Online preset)").click()
    expect(page.get_by_label("OAuth 2.0")).to_be_checked()
    expect(page.get_by_label("Token Endpoint")).to_be_visible()
    expect(page.get_by_label("Token Endpoint")).to_be_focused()
    expect(warning).to_be_hidden()
    expect(page.get_by_label("SMTP Server", exact=True)).to_have_value("smtp.office365.com")
    screenshot("presets-04-switched-to-oauth")
    settings = NotificationSettings.objects.get(store=store)
    assert settings.auth_type == "basic" and settings.smtp_password == SMTP_PASSWORD

    page.get_by_text("Basic", exact=True).click()  # typing back to Basic brings the warning back
    expect(warning).to_be_visible()


def test_without_javascript_apply_preset_asks_the_server(browser: Browser, live_server, store):
    basic_on_exchange(store)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_and_open(page, live_server, store)
        page.get_by_label("Provider preset").select_option(
            label="Office 365 through Microsoft Graph"
        )
        page.get_by_role("button", name="Apply preset").click()
        expect(page.locator("#preset-status")).to_contain_text(
            "Preset applied: Office 365 through Microsoft Graph"
        )
        expect(page.get_by_label("Token Endpoint")).to_have_value(
            "https://graph.microsoft.com/v1.0"
        )
        expect(page.get_by_label("SMTP Server", exact=True)).to_have_value("graph.microsoft.com")
        expect(page.get_by_label("OAuth 2.0")).to_be_checked()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "presets-05-no-js-graph-preset.png"), full_page=True)
        page.get_by_role("button", name="Switch to OAuth 2.0 (Exchange Online preset)").wait_for(
            state="hidden"
        )
        page.get_by_label("Port", exact=True).press("Enter")  # Enter still means Save
        expect(page.get_by_text("The settings were not saved")).to_be_visible()
        expect(page.locator("#id_scope_error")).to_have_text("Enter the Scope.")
        expect(page.locator("#id_client_id_error")).to_have_text("Enter the Client ID.")
        assert NotificationSettings.objects.get(store=store).auth_type == "basic"
    finally:
        context.close()
