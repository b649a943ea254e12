"""A second SMTP server in a real browser: an admin configures it on the Notifications page, the
first server's port is closed, and the Outbox page says mail goes through the second."""

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore
from notifications import tasks
from notifications.models import NotificationSettings, OutgoingMessage
from tests.notifications.delivery.test_lanes import make_rows, rows
from tests.support.browser import sign_in, store_admin
from tests.support.net import free_port

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"
MINUTE = 0.2


@pytest.fixture
def signed_in(page: Page, live_server, transactional_db, settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["127.0.0.0/8", "::1"]
    settings.DIRMGR_LANE_MINUTE_SECONDS = MINUTE
    settings.MAIL_RETRY_BASE_SECONDS = 0.05
    settings.MAIL_RETRY_MAX_SECONDS = 0.1
    page.set_viewport_size({"width": 1366, "height": 768})
    store = IdentityStore.objects.create(name="Contoso AD")
    NotificationSettings.objects.create(
        store=store, smtp_host="127.0.0.1", port=free_port(), from_email="directory@contoso.test"
    )
    store_admin(store, PASSWORD)
    sign_in(page, live_server.url, PASSWORD)
    return page, store, live_server.url


def test_a_configured_second_server_takes_over_and_the_outbox_says_so(
    signed_in, smtp_server, memory_broker, screenshot
):
    page, store, base = signed_in
    second = smtp_server()
    page.goto(base + reverse("notifications:settings", args=[store.pk]))
    page.get_by_text("Second SMTP server (used when the first fails)").click()
    part = page.locator("#second-server")
    part.get_by_label("Second SMTP server").fill("127.0.0.1")
    part.get_by_label("Second server port").fill(str(second.port))
    part.get_by_label("Switch after").fill("1")
    screenshot("notifications/second-server")

    page.get_by_role("button", name="Test Server").click()
    dialog = page.get_by_role("dialog", name="Test Notification")
    dialog.get_by_label("Email address to receive the test notification").fill("ops@contoso.test")
    dialog.get_by_label("Second SMTP server").check()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.locator(".success")).to_be_visible(timeout=20_000)
    screenshot("notifications/second-server-tested")
    ours = {"include": [["#second-server"], ["#test-dialog"]]}
    checked = Axe().run(page, context=ours).response
    assert checked["passes"] and checked["violations"] == []
    assert second.count == 1
    dialog.get_by_role("button", name="Close").click()

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_be_visible()
    saved = NotificationSettings.objects.get(store=store)
    assert (saved.second_smtp_host, saved.second_port, saved.switch_after) == (
        "127.0.0.1",
        second.port,
        1,
    )

    ids = make_rows(saved, 2)
    tasks.deliver(ids)
    time.sleep(MINUTE * 1.2)
    for _ in range(4):
        tasks.deliver(ids)
        time.sleep(MINUTE * 0.5)
    assert {row.status for row in rows(ids)} == {OutgoingMessage.Status.SENT}
    assert second.count == 3  # the test message and the two notifications

    page.goto(base + reverse("notifications:outbox", args=[store.pk]))
    lane = page.locator("#send-lane")
    expect(lane).to_contain_text("sending through the second SMTP server 127.0.0.1 since ")
    expect(lane).to_contain_text("the first is unreachable (Nothing answered at 127.0.0.1:")
    screenshot("outbox/lane-failover")
    page.goto(base + reverse("identitystores:history", args=[store.pk]))
    action = page.locator(".history-action", has_text="Delivery switched to the second SMTP server")
    expect(action).to_have_count(1)
    expect(
        page.get_by_text("the first is unreachable (Nothing answered at 127.0.0.1:")
    ).to_be_visible()
