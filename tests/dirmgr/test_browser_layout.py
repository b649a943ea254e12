"""Every page of the Admin Center, with the demo data loaded, at 1,366 px and at 390 px, in the
light and the dark theme: axe-core finds no serious or critical accessibility violation, and no
page is wider than the window.

One browser context per width walks the whole tour (dirmgr/tour.py), so a new page listed there
is scanned too.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.layout import LONG_SUBJECT, WIDTHS, sign_in

pytestmark = pytest.mark.browser
BLOCKING = {"serious", "critical"}
AXE = Axe()


def violations(page: Page) -> list[str]:
    """Serious and critical axe findings, each as 'rule: selector' lines."""
    found = AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_it_finds_no_serious_violation_on_any_page(page, live_server, demo_admin, width, scheme):
    from dirmgr.tour import pages

    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)  # the dark theme's contrast is checked too
    sign_in(page, live_server)
    problems: dict[str, list[str]] = {}
    tour = pages()
    assert len(tour) > 30  # the demo's three stores, their objects and the global pages
    for name, path in tour:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        found = violations(page)
        if (extra := overflow(page)) > 0:
            found.append(f"page wider than the window by {extra} px")
        if found:
            problems[name] = found
    assert problems == {}


def test_it_fits_the_outbox_table_in_its_card_at_1366(page, live_server, demo_admin):
    store = demo_admin["store"]
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/identity-stores/{store.pk}/outbox/?show=all")
    box = page.locator(".table-scroll").first
    widths = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] <= widths[1]
    subject = page.locator(f'#outbox-form .truncate[title="{LONG_SUBJECT}"]')
    expect(subject).to_be_visible()
    # Cut short with an ellipsis on one line (the whole subject is in the tooltip), not wrapped.
    assert subject.evaluate("el => el.scrollWidth > el.clientWidth")
    assert subject.evaluate("el => el.getBoundingClientRect().height") < 30


def test_the_scan_reports_a_nameless_button_and_an_image_without_text(
    page, live_server, demo_admin
):
    """The scan above can fail: the same check on a page spoiled on purpose reports both."""
    sign_in(page, live_server)
    page.evaluate(
        """() => document.querySelector('main').append(
               document.createElement('button'),
               Object.assign(document.createElement('img'), {src: '/static/none.png'}))"""
    )
    found = " ".join(violations(page))
    assert "button-name (critical)" in found and "image-alt (critical)" in found


def test_no_page_is_wider_than_a_360_px_window(page, live_server, demo_admin):
    """The narrowest phones the layout is made for: every page fits without sideways scrolling."""
    from dirmgr.tour import pages

    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server)
    too_wide = {}
    for name, path in pages():
        page.goto(live_server.url + path)
        if (extra := overflow(page)) > 0:
            too_wide[name] = extra
    assert too_wide == {}
