"""Sign in with Microsoft in a real browser, through the loopback tenant's sign-in page: Alice
(in the Administrators group) picks her account, lands in Admin Center, syncs the store, adds Erin
to All staff (Graph receives the `$ref` write, the help desk's loopback SMTP server the mail),
and reads the client-secret warning and the no-password note. Screenshots go to
test-artifacts/screenshots/entra-signin/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import NotificationSettings
from tests.support.entra import ALL_STAFF, ENGINEERING, connect

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context_args(browser_context_args):
    """The loopback tenant's sign-in page has a certificate from the test CA, which Chromium
    does not know; the server-side calls (token, keys, Graph) still verify it."""
    return {**browser_context_args, "ignore_https_errors": True}


@pytest.fixture
def tenant_store(transactional_db, fabrikam, signin_server, smtp_server):
    connect(
        fabrikam,
        signin_server,
        signin_enabled=True,
        signin_group=ENGINEERING,
        secret_expires=timezone.localdate() + timedelta(days=7),
    )
    mail = smtp_server()
    NotificationSettings.objects.create(
        store=fabrikam,
        smtp_host="127.0.0.1",
        port=mail.port,
        from_email="directory@fabrikam.test",
        to_recipients="helpdesk@fabrikam.test",
    )
    fabrikam.mail = mail
    return fabrikam


@pytest.mark.usefixtures("eager_celery")
def test_an_entra_admin_signs_in_syncs_changes_and_sees_the_warning(
    page: Page, live_server, tenant_store, signin_server, screenshot
):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with Microsoft").click()
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    screenshot("entra-signin/01-pick-an-account")
    page.get_by_role("button", name="Alice Engineer (alice@fabrikam.test)").click()
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()

    page.goto(f"{live_server.url}/identity-stores/{tenant_store.pk}/entra-connection/")
    banner = page.locator(".secret-expiry")
    expect(banner).to_contain_text("The client secret of the Entra ID directory connection")
    expect(banner).to_contain_text("(in 7 days)")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator("#sync-status")).to_contain_text("5 users")
    screenshot("entra-signin/02-synced-with-warning")

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Directory", exact=True).click()
    page.get_by_role("link", name="All staff").click()
    page.get_by_label("Member (name, email address or #id)").fill("Erin Nomail")
    page.get_by_role("button", name="Add member").click()
    expect(
        page.get_by_role("region", name="Members (4)").get_by_role("link", name="Erin Nomail")
    ).to_be_visible()
    assert ("POST", f"/v1.0/groups/{ALL_STAFF}/members/$ref") in signin_server.requests

    [received] = tenant_store.mail.wait_for(1)
    assert received.rcpt_tos == ["helpdesk@fabrikam.test"]
    assert "All staff" in received.message["Subject"]
    assert received.auth_user is None  # no sign-in password to send

    page.goto(f"{live_server.url}/identity-stores/{tenant_store.pk}/configurations/notifications/")
    expect(page.locator("#passwordless-note")).to_contain_text(
        "You signed in with a Microsoft account"
    )
    expect(page.locator(".secret-expiry")).to_contain_text("(in 7 days)")
    screenshot("entra-signin/03-notifications-note")
