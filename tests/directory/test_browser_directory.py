"""A new admin's first change in a real browser, on a phone and on a laptop: the empty built-in
directory says what to do, they create a group and a user (a wrong address is pointed out next to
its field), add the user to the group, and find the notification queued in the Outbox."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore, StoreRole
from notifications.models import NotificationSettings

pytestmark = pytest.mark.browser
PASSWORD = "browser-directory-password-3"


@pytest.fixture
def northwind(transactional_db):
    store = IdentityStore.objects.create(name="Northwind", type=IdentityStore.Type.BUILT_IN)
    NotificationSettings.objects.create(
        store=store,
        smtp_host="127.0.0.1",
        from_email="directory@northwind.test",
        to_recipients="it-team@northwind.test",
    )
    user = get_user_model().objects.create_user("alice", "alice@northwind.test", PASSWORD)
    StoreRole.objects.create(user=user, store=store)
    return store


@pytest.mark.parametrize("width", [1366, 390])
def test_a_new_admin_creates_a_group_and_a_user_and_sees_the_mail_queued(
    page: Page, live_server, northwind, screenshot, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/identity-stores/{northwind.pk}/directory/")

    expect(page.get_by_role("heading", name="This directory is empty")).to_be_visible()
    expect(
        page.get_by_text("Create a user, group or contact with the buttons above")
    ).to_be_visible()
    expect(page.get_by_text('import_directory --store "Northwind" people.csv')).to_be_visible()
    screenshot(f"directory/empty-{width}")

    page.get_by_role("link", name="Create group").click()
    expect(page.get_by_role("heading", name="Create group")).to_be_visible()
    page.get_by_label("Name").fill("Sales")
    page.get_by_label("Security type").select_option("Public")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Sales", exact=True)).to_be_visible()
    expect(page.get_by_text("Created Sales.")).to_be_visible()

    page.get_by_role("link", name="Directory", exact=True).first.click()
    page.get_by_role("link", name="Create user").click()
    page.get_by_label("Name").fill("Ann Lee")
    page.get_by_label("Email").fill("ann@")
    page.get_by_role("button", name="Create user").click()
    error = page.locator("#field-new-email").get_by_role("alert")
    expect(error).to_have_text("Enter a valid email address.")
    screenshot(f"directory/create-user-error-{width}")
    page.get_by_label("Email").fill("ann@northwind.test")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="Ann Lee")).to_be_visible()

    page.goto(f"{live_server.url}/identity-stores/{northwind.pk}/directory/")
    page.get_by_role("link", name="Sales").click()
    expect(page.get_by_text("No members yet: add one below.")).to_be_visible()
    page.get_by_label("Member (name, email address or #id)").fill("Ann Lee")
    page.get_by_role("button", name="Add member").click()
    members = page.get_by_role("region", name="Members (1)")
    expect(members.get_by_role("link", name="Ann Lee")).to_be_visible()

    page.goto(f"{live_server.url}/identity-stores/{northwind.pk}/outbox/")
    row = page.get_by_role("row").filter(has_text="[Northwind] Member added: Sales")
    expect(row).to_be_visible()
    expect(row).to_contain_text("it-team@northwind.test")
    expect(row).to_contain_text("Queued")
    expect(page.get_by_role("row").filter(has_text="Object created: Ann Lee")).to_have_count(1)
    screenshot(f"directory/outbox-{width}")
