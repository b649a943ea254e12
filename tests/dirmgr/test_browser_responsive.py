"""Small and wide screens: the navigation folds into a Menu button at 390 px (a plain list at the
top without JavaScript) and is always shown at 1,366 px; the Test Notification dialog fits."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.support.layout import PASSWORD, WIDTHS, sign_in

pytestmark = pytest.mark.browser


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_the_menu_button_opens_the_navigation_with_the_keyboard(page, live_server, demo_admin):
    store = demo_admin["store"]
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("identitystores:edit", args=[store.pk]))
    menu = page.locator("#nav-menu > summary")
    expect(menu).to_be_visible()
    expect(nav_link(page, "Outbox")).to_be_hidden()
    page.keyboard.press("Tab")  # Skip to content
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")  # Sign out
    page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(nav_link(page, "Outbox")).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav_link(page, "Identity Stores")).to_be_focused()
    nav_link(page, "Outbox").click()
    expect(page.get_by_role("heading", name="Outbox", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


def test_a_wide_screen_shows_the_navigation_without_a_button(page, live_server, demo_admin):
    page.set_viewport_size({"width": 1366, "height": 800})
    sign_in(page, live_server)
    expect(page.locator("#nav-menu > summary")).to_be_hidden()
    expect(nav_link(page, "Portals")).to_be_visible()


def test_without_javascript_the_navigation_is_a_list_at_the_top(
    browser: Browser, live_server, demo_admin
):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(nav_link(page, "Portals")).to_be_visible()
    nav_box = page.get_by_role("navigation", name="Main").bounding_box()
    main_box = page.locator("main").bounding_box()
    assert nav_box["y"] + nav_box["height"] <= main_box["y"] + 1  # above the content
    context.close()


def fits(box: dict, width: int, height: int) -> bool:
    return (
        box["x"] >= 0
        and box["x"] + box["width"] <= width
        and box["y"] >= 0
        and (box["y"] + box["height"] <= height)
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_test_notification_dialog_fits_and_links_its_error_to_the_docs(
    page, live_server, demo_admin, closed_port, width
):
    store = demo_admin["store"]
    page.set_viewport_size({"width": width, "height": 700})
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("notifications:settings", args=[store.pk]))
    page.get_by_label("Port", exact=True).fill(str(closed_port))  # nothing listens there
    page.get_by_role("button", name="Test Server").click()
    dialog = page.get_by_role("dialog", name="Test Notification")
    expect(dialog).to_be_visible()
    assert fits(dialog.bounding_box(), width, 700)
    recipient = dialog.get_by_label("Email address to receive the test notification")
    expect(recipient).to_be_in_viewport()
    dialog.get_by_role("button", name="OK").click()
    help_link = dialog.get_by_role("link", name="What this error means: 1. Reaching the server")
    expect(help_link).to_be_visible()
    assert fits(dialog.bounding_box(), width, 700)
    help_link.click()
    expect(page.get_by_role("heading", name="1. Reaching the server")).to_be_in_viewport()
    assert page.url.endswith("/help/test-server-errors/#1-reaching-the-server")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_oauth_tile_links_to_the_exchange_online_guide(page, live_server, demo_admin, width):
    store = demo_admin["store"]
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("notifications:settings", args=[store.pk]))
    page.get_by_label("Use SMTP user authentication").check()
    page.locator("label.tile").filter(has_text="OAuth").click()
    page.get_by_role("link", name="Exchange Online with OAuth 2.0, step by step").click()
    expect(page.locator("h1")).to_contain_text("Exchange Online with OAuth 2.0")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_admin_cancels_a_scheduled_temporary_membership(page, live_server, demo_admin, width):
    from lifecycle.models import State

    item = demo_admin["membership"]
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("identitystores:edit", args=[item.store_id]))
    if width < 700:
        page.get_by_text("Menu", exact=True).click()
    nav_link(page, "Temporary changes").click()
    expect(page.locator("h1")).to_have_text("Temporary changes")
    assert page.title().startswith("Temporary changes")
    page.get_by_role("button", name="Cancel change").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Cancel the temporary membership")
    assert fits(dialog.bounding_box(), width, 800)
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    item.refresh_from_db()
    assert item.state == State.SCHEDULED
    page.get_by_role("button", name="Cancel change").click()
    dialog.get_by_role("button", name="Cancel change").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled:")
    expect(page.get_by_role("button", name="Cancel change")).to_have_count(0)
    item.refresh_from_db()
    assert item.state == State.CANCELLED


@pytest.mark.parametrize("width", WIDTHS)
def test_a_group_page_shows_its_trail_and_owner_by_name(page, live_server, demo_admin, width):
    from directory.models import DirectoryObject

    group = DirectoryObject.objects.filter(
        store=demo_admin["store"], kind="group", primary_owner__isnull=False
    ).first()
    owner = group.primary_owner
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("directory:object", args=[group.store_id, group.pk]))
    trail = page.get_by_role("navigation", name="Breadcrumb")
    expect(trail.get_by_role("link")).to_have_text(
        ["Identity Stores", group.store.name, "Directory"]
    )
    expect(trail.locator("[aria-current=page]")).to_have_text(group.name)
    box = trail.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    owner_box = page.get_by_label("Primary owner (user or group)")
    expect(owner_box).to_have_value(owner.email or owner.name)
    assert not owner_box.input_value().startswith("#")
