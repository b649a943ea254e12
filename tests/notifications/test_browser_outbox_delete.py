"""Outbox Delete in a real browser, on a laptop and on a phone: the dialog names what goes,
Cancel keeps everything, Delete removes the selected messages; nothing selected only warns."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.browser import sign_in, store_admin
from tests.support.outbox import make_row

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"
WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(params=WIDTHS, ids=list(WIDTHS))
def outbox_page(request, page: Page, live_server, transactional_db):
    width, height = WIDTHS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    store = IdentityStore.objects.create(name="Contoso AD", type=IdentityStore.Type.ENTRA_ID)
    settings = NotificationSettings.objects.create(
        store=store, smtp_host="127.0.0.1", from_email="directory@contoso.test"
    )
    for subject in ("Ann joined Sales", "Ben left Sales", "Carl joined Support"):
        make_row(settings, subject, status=OutgoingMessage.Status.DEAD)
    store_admin(store, PASSWORD)
    sign_in(page, live_server.url, PASSWORD)
    page.goto(live_server.url + reverse("notifications:outbox", args=[store.pk]) + "?show=all")
    return page, request.param


def subjects_left() -> list[str]:
    waiting = OutgoingMessage.objects.exclude(status=OutgoingMessage.Status.DELETED)
    return sorted(waiting.values_list("subject", flat=True))


def test_delete_asks_cancel_keeps_and_delete_removes(outbox_page, screenshot):
    page, size = outbox_page
    page.get_by_label("Select Ann joined Sales").check()
    page.get_by_label("Select Ben left Sales").check()

    page.get_by_role("button", name="Delete", exact=True).click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Delete 2 messages from the outbox?")
    box, viewport = dialog.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (box, viewport)
    for button in ("Cancel", "Delete"):
        button_box = dialog.get_by_role("button", name=button).bounding_box()
        assert button_box["x"] + button_box["width"] <= viewport["width"], (button, button_box)
    screenshot(f"outbox/delete-dialog-{size}")

    dialog.get_by_role("button", name="Cancel").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("cell", name="Ann joined Sales", exact=True)).to_be_visible()
    assert subjects_left() == ["Ann joined Sales", "Ben left Sales", "Carl joined Support"]

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Delete").click()

    expect(page.locator(".message-success")).to_have_text("2 messages deleted.")
    expect(page.get_by_role("cell", name="Ann joined Sales", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="Carl joined Support", exact=True)).to_be_visible()
    assert subjects_left() == ["Carl joined Support"]
    screenshot(f"outbox/deleted-{size}")


def test_escape_closes_the_dialog_and_deletes_nothing(outbox_page):
    page, _ = outbox_page
    page.get_by_label("Select Carl joined Support").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_role("dialog")).to_contain_text("Delete 1 message from the outbox?")

    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_be_hidden()
    assert len(subjects_left()) == 3


def test_delete_with_nothing_selected_warns_without_a_dialog(outbox_page):
    page, _ = outbox_page

    page.get_by_role("button", name="Delete", exact=True).click()

    expect(page.locator(".message-warning")).to_have_text(
        "Nothing selected: tick the messages to delete first."
    )
    expect(page.locator(".message-success")).to_have_count(0)
    assert len(subjects_left()) == 3
