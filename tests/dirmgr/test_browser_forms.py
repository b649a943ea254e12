"""Forms at 1,366 px and at 390 px: a failed Save puts the focus on an error summary that links to
each field in error; tabbing through a long form never leaves the focus under the sticky Save bar;
date inputs look like the other inputs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.support.layout import WIDTHS, sign_in

pytestmark = pytest.mark.browser


def open_page(page: Page, live_server, width: int, path: str, height: int = 900) -> None:
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server)
    page.goto(live_server.url + path)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_failed_save_focuses_a_summary_linking_to_each_field(
    page, live_server, demo_admin, width
):
    store = demo_admin["store"]
    open_page(page, live_server, width, reverse("notifications:settings", args=[store.pk]))
    page.get_by_label("Port", exact=True).fill("0")
    page.get_by_label("From email address", exact=True).fill("nobody")
    page.get_by_role("button", name="Save", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    summary.get_by_role("link", name="Port").click()
    port = page.get_by_label("Port", exact=True)
    expect(port).to_be_focused()
    expect(port).to_be_in_viewport()
    summary.get_by_role("link", name="From email address").click()
    expect(page.get_by_label("From email address", exact=True)).to_be_focused()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_store_form_shows_the_summary(page, live_server, demo_admin, width):
    """The same include on the life-cycle, template and store forms."""
    store = demo_admin["store"]
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server)
    cases = [
        ("notifications:email_template_create", "Subject"),
        ("lifecycle:temporary_memberships", "User"),
        ("identitystores:edit", "Name"),
    ]
    for name, label in cases:
        page.goto(live_server.url + reverse(name, args=[store.pk]))
        field = page.get_by_label(label, exact=True)
        if field.evaluate("el => el.tagName") == "INPUT":
            field.fill("")
        page.locator("main form").filter(has=field).locator("button[type=submit]").first.click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_focused()
        summary.get_by_role("link", name=label).first.click()
        expect(page.get_by_label(label, exact=True)).to_be_focused()


@pytest.mark.parametrize("width", WIDTHS)
def test_tabbing_never_hides_the_focus_under_the_save_bar(page, live_server, demo_admin, width):
    store = demo_admin["store"]
    open_page(page, live_server, width, reverse("notifications:settings", args=[store.pk]), 640)
    page.get_by_label("SMTP Server", exact=True).focus()
    hidden: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
                const el = document.activeElement;
                const bar = document.querySelector('.sticky-actions');
                if (!el || el === document.body || bar.contains(el)) return null;
                const box = el.getBoundingClientRect();
                const barBox = bar.getBoundingClientRect();
                return {name: el.name || el.id || el.textContent, top: box.top,
                        bottom: box.bottom, barTop: barBox.top, barBottom: barBox.bottom};
            }"""
        )
        # Hidden: the focused element overlaps the bar (below the form the bar is left behind).
        if where and where["bottom"] > where["barTop"] + 1 and where["top"] < where["barBottom"]:
            hidden.append(where["name"])
    assert hidden == []


@pytest.mark.parametrize("width", WIDTHS)
def test_date_inputs_look_like_the_other_inputs(page, live_server, demo_admin, width):
    store = demo_admin["store"]
    path = reverse("lifecycle:temporary_memberships", args=[store.pk])
    open_page(page, live_server, width, path)
    style = "el => [getComputedStyle(el).borderTopColor, getComputedStyle(el).borderRadius]"
    date = page.get_by_label("Start").evaluate(style)
    text = page.get_by_label("User", exact=True).evaluate(style)
    assert date == text
