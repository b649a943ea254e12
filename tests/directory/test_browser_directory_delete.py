"""Deleting a user of the built-in directory in a real browser, on a laptop and on a phone: the
dialog names the user, Cancel keeps it, Delete removes it and its membership and queues the
notifications."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from directory import changes
from directory.changes import Actor
from directory.models import DirectoryObject, Route
from identitystores.models import IdentityStore, StoreRole
from notifications.models import NotificationSettings, OutgoingMessage

pytestmark = pytest.mark.browser
PASSWORD = "browser-directory-password-4"


@pytest.mark.parametrize("width", [1366, 390])
def test_delete_asks_cancel_keeps_delete_removes(
    page: Page, live_server, transactional_db, screenshot, width
):
    store = IdentityStore.objects.create(name="Northwind", type=IdentityStore.Type.BUILT_IN)
    NotificationSettings.objects.create(
        store=store, smtp_host="127.0.0.1", from_email="dm@northwind.test",
        to_recipients="it-team@northwind.test",
    )  # fmt: skip
    sales = DirectoryObject.objects.create(store=store, kind="group", name="Sales")
    ann = DirectoryObject.objects.create(store=store, kind="user", name="Ann Lee")
    changes.add_member(sales, ann, Actor(None, Route.MANAGEMENT_SHELL, notify=False))
    user = get_user_model().objects.create_user("alice", "alice@northwind.test", PASSWORD)
    StoreRole.objects.create(user=user, store=store)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/identity-stores/{store.pk}/directory/{ann.pk}/")

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Delete the user “Ann Lee”?")
    screenshot(f"directory/delete-dialog-{width}")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert DirectoryObject.objects.filter(pk=ann.pk).exists()

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Delete").click()

    expect(page.locator(".message-success")).to_contain_text("Deleted Ann Lee.")
    assert not DirectoryObject.objects.filter(pk=ann.pk).exists()
    subjects = set(OutgoingMessage.objects.values_list("subject", flat=True))
    assert subjects == {"[Northwind] Member removed: Sales", "[Northwind] Object deleted: Ann Lee"}
