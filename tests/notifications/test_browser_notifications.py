"""The Notifications page in a real browser: the spec's navigation, Test Server, Save, errors."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore, StoreRole

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"


@pytest.fixture
def signed_in(page: Page, live_server, transactional_db, screenshot):
    store = IdentityStore.objects.create(
        name="Contoso AD", type=IdentityStore.Type.ACTIVE_DIRECTORY
    )
    IdentityStore.objects.create(name="Fabrikam Entra", type=IdentityStore.Type.ENTRA_ID)
    user = get_user_model().objects.create_user("alice", "alice@contoso.test", PASSWORD)
    StoreRole.objects.create(user=user, store=store)
    page.goto(f"{live_server.url}/login/")
    screenshot("01-sign-in")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()
    return store


def open_notifications(page: Page, screenshot) -> None:
    """Identity Stores → … → Edit → Configurations → Notifications, as the spec describes."""
    page.get_by_role("link", name="Identity Stores").first.click()
    screenshot("02-identity-stores")
    page.get_by_label("Actions for Contoso AD").click()
    page.get_by_role("menuitem", name="Edit").click()
    screenshot("03-store-edit")
    page.get_by_role("link", name="Configurations").click()
    screenshot("04-configurations")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator("#settings-form[data-enhanced]")).to_be_attached()


def fill_smtp(page: Page, port: int) -> None:
    page.get_by_label("SMTP Server", exact=True).fill("127.0.0.1")
    page.get_by_label("From email address").fill("notifications@contoso.test")
    page.get_by_label("Port", exact=True).fill(str(port))


def test_it_sends_a_test_notification_that_lands_in_the_mailbox(
    page: Page, signed_in, mail_catcher, screenshot, live_server
):
    open_notifications(page, screenshot)
    screenshot("05-notifications")
    fill_smtp(page, mail_catcher.port)
    page.get_by_label("Use SMTP user authentication").check()
    page.get_by_text("Basic", exact=True).click()
    page.get_by_label("SMTP username").fill("svc-notify")
    page.get_by_label("SMTP password").fill("svc-password-1")
    expect(page.get_by_label("Token Endpoint")).to_be_hidden()
    page.get_by_role("button", name="Test Server").click()
    dialog = page.get_by_role("dialog", name="Test Notification")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Email address to receive the test notification").fill("ops@contoso.test")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator(".success")).to_be_visible(timeout=20_000)
    screenshot("06-test-server-success")
    page.goto(f"{live_server.url}/mailbox/")
    expect(page.get_by_text("ops@contoso.test").first).to_be_visible()
    screenshot("07-mailbox")


def test_it_reports_a_failed_test_in_plain_words(page: Page, signed_in, screenshot):
    open_notifications(page, screenshot)
    fill_smtp(page, 9)  # discard port: nothing listens there on loopback
    page.get_by_role("button", name="Test Server").click()
    dialog = page.get_by_role("dialog", name="Test Notification")
    dialog.get_by_label("Email address to receive the test notification").fill("ops@contoso.test")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator("#test-result .error").first).to_be_visible(timeout=20_000)
    expect(dialog).not_to_contain_text("Traceback")
    screenshot("08-test-server-failure")


def test_it_keeps_also_notify_choices_after_save(page: Page, signed_in, screenshot):
    open_notifications(page, screenshot)
    fill_smtp(page, 25)
    page.get_by_label("To:").fill("helpdesk@contoso.test; ops@contoso.test")
    for label in (
        "Object being modified",
        "Manager(s) for their direct reports",
        "Public group owner for membership",
    ):
        page.get_by_label(label).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Object being modified")).to_be_checked()
    expect(page.get_by_label("Manager(s) for their direct reports")).to_be_checked()
    expect(page.get_by_label("Public group owner for membership")).to_be_checked()
    expect(page.get_by_label("Logged in users for their actions")).not_to_be_checked()
    expect(page.get_by_label("To:")).to_have_value("helpdesk@contoso.test; ops@contoso.test")
    screenshot("09-saved")


def test_it_shows_a_validation_error_next_to_its_field(page: Page, signed_in, screenshot):
    open_notifications(page, screenshot)
    fill_smtp(page, 70000)
    page.get_by_label("CC:").fill("Boss <boss@contoso.test>")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-port .error")).to_contain_text("less than or equal to 65535")
    expect(page.locator("#field-cc_recipients .error")).to_contain_text("without a display name")
    expect(page.get_by_label("CC:")).to_have_value("Boss <boss@contoso.test>")
    screenshot("10-validation-error")


def test_it_disables_managed_by_boxes_when_same_as_membership(page: Page, signed_in, screenshot):
    open_notifications(page, screenshot)
    page.get_by_label("Same as membership life cycle").check()
    expect(page.get_by_label("Object is added as additional owner/manager")).to_be_disabled()
    page.get_by_label("Same as membership life cycle").uncheck()
    expect(page.get_by_label("Object is added as additional owner/manager")).to_be_enabled()


def test_it_opens_and_closes_the_dialog_with_the_keyboard(page: Page, signed_in, screenshot):
    open_notifications(page, screenshot)
    button = page.get_by_role("button", name="Test Server")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Test Notification")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Email address to receive the test notification")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()


def test_it_tests_oauth_against_the_token_endpoint(
    page: Page, signed_in, smtp_server, identity_server, screenshot
):
    idp = identity_server(users={"mailer@contoso.test": "Mailbox-pa55word!"})
    server = smtp_server("starttls", token_checker=idp.is_valid)
    open_notifications(page, screenshot)
    fill_smtp(page, server.port)
    page.get_by_label("SSL enabled").check()
    page.get_by_label("Use SMTP user authentication").check()
    page.get_by_text("OAuth 2.0", exact=True).click()
    expect(page.get_by_label("SMTP username")).to_be_hidden()
    page.get_by_label("Token Endpoint").fill(idp.token_endpoint)
    page.get_by_label("Client ID").fill(idp.client_id)
    page.get_by_label("Client Secret").fill(idp.client_secret)
    page.get_by_label("Scope").fill("https://outlook.office365.com/SMTP.Send")
    page.get_by_label("Username", exact=True).fill("mailer@contoso.test")
    page.get_by_label("Password", exact=True).fill("Mailbox-pa55word!")
    screenshot("11-oauth")
    page.get_by_role("button", name="Test Server").click()
    dialog = page.get_by_role("dialog", name="Test Notification")
    dialog.get_by_label("Email address to receive the test notification").fill("ops@contoso.test")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator("#test-result .success")).to_be_visible(timeout=20_000)
    screenshot("12-oauth-success")
    (received,) = server.wait_for(1)
    assert received.rcpt_tos == ["ops@contoso.test"]
    assert (received.auth_user, received.tls) == ("mailer@contoso.test", True)
    assert len(idp.token_calls) == 1
    expect(dialog).not_to_contain_text(idp.client_secret)
