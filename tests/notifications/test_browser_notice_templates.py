"""An admin edits the store's password-expiry warning in a real browser: from the Notifications
page's Notices list, previews the draft with a warning the store really sent, saves, and the
next warning the schedule sends uses it."""

import re

import pytest
from playwright.sync_api import Page, expect

from directory.models import DirectoryObject
from identitystores.models import IdentityStore, Portal
from lifecycle.jobs import PASSWORD_EXPIRY, run_job
from lifecycle.models import PasswordExpiryGroup
from notifications.models import EmailTemplate, NotificationSettings, OutgoingMessage
from tests.support.browser import sign_in, store_admin
from tests.support.lifecycle_helpers import at

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"


@pytest.fixture
def store(transactional_db):
    """Contoso with a password-expiry group, Ann expiring on 12 March, and one warning sent."""
    contoso = IdentityStore.objects.create(
        name="Contoso AD", type=IdentityStore.Type.ACTIVE_DIRECTORY, time_zone="Europe/Berlin"
    )
    portal = Portal.objects.create(name="Self-service", url="https://portal.contoso.test/")
    portal.stores.add(contoso)
    NotificationSettings.objects.create(
        store=contoso, smtp_host="127.0.0.1", from_email="directory@contoso.test", portal=portal
    )
    group = DirectoryObject.objects.create(
        store=contoso, kind="group", name="Password expiry", security_type="private"
    )
    PasswordExpiryGroup.objects.create(store=contoso, group=group, days=5)
    DirectoryObject.objects.create(
        store=contoso, kind="user", name="Ann Lee", email="ann@contoso.test",
        password_expires=at(2026, 3, 12, 9),
    )  # fmt: skip
    run_job(contoso, PASSWORD_EXPIRY, now=at(2026, 3, 10, 7))
    return contoso


@pytest.fixture
def signed_in(page: Page, live_server, store):
    store_admin(store, PASSWORD)
    sign_in(page, live_server.url, PASSWORD)
    return store


def test_an_admin_edits_the_password_warning_previews_a_real_one_and_the_next_uses_it(
    page: Page, signed_in, live_server, screenshot
):
    store = signed_in
    page.goto(f"{live_server.url}/identity-stores/{store.pk}/configurations/notifications/")
    notices = page.locator("#notices-section")
    expect(notices.get_by_role("heading", name="Notices")).to_be_visible()
    screenshot("notices/01-notices-list")
    notices.get_by_role("link", name="Edit Password expiry warning").click()

    expect(page.get_by_label("Event")).to_have_value("password-warning")
    expect(page.get_by_label("Text body")).to_have_value(re.compile("password expires on"))
    page.get_by_label("Subject").fill("{{ recipient.name }}: {{ days_left }} days to go")
    page.get_by_label("Text body").fill(
        "Hi {{ recipient.name }}, change it by {{ expires_on }}: {{ portal_url }}"
    )
    sent = OutgoingMessage.objects.get(kind="password-expiry")
    choice = page.get_by_label("Preview with").locator("option", has_text="expires on 2026-03-12")
    page.get_by_label("Preview with").select_option(label=choice.text_content())
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-subject")).to_have_text("Ann Lee: 2 days to go")
    expect(page.locator("#preview-text")).to_have_text(
        "Hi Ann Lee, change it by 2026-03-12: https://portal.contoso.test/"
    )
    expect(page.get_by_label("Preview with")).to_have_value(f"message:{sent.pk}")
    screenshot("notices/02-preview-with-a-real-warning")
    assert not EmailTemplate.objects.exists()

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("saved.")).to_be_visible()
    screenshot("notices/03-saved")
    assert EmailTemplate.objects.get().kind == "password-warning"

    run_job(store, PASSWORD_EXPIRY, now=at(2026, 3, 11, 7))  # the next membership update
    latest = OutgoingMessage.objects.filter(kind="password-expiry").latest("id")
    assert latest.subject == "Ann Lee: 1 days to go"
    assert latest.body_text == "Hi Ann Lee, change it by 2026-03-12: https://portal.contoso.test/"
