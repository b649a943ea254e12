"""Send lanes in a real browser: the Outbox page says how the store's mail goes out (paced,
held), the held line leads to the Notifications page, whose "Advanced: sending limits" part
explains a bad limit next to its field."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore
from notifications.models import NotificationSettings, OutgoingMessage, SendLane
from tests.support.browser import sign_in, store_admin
from tests.support.outbox import make_row

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"


@pytest.fixture
def signed_in(page: Page, live_server, transactional_db):
    page.set_viewport_size({"width": 1366, "height": 768})
    store = IdentityStore.objects.create(name="Contoso AD")
    settings = NotificationSettings.objects.create(
        store=store,
        smtp_host="smtp.contoso.test",
        port=587,
        from_email="directory@contoso.test",
        max_messages_per_minute=30,
    )
    for subject in ("Ann joined Sales", "Ben left Sales", "Carl joined Support"):
        make_row(settings, subject, status=OutgoingMessage.Status.QUEUED)
    store_admin(store, PASSWORD)
    sign_in(page, live_server.url, PASSWORD)
    return page, store, live_server.url + reverse("notifications:outbox", args=[store.pk])


def test_the_outbox_shows_the_lane_and_leads_to_the_sending_limits(signed_in, screenshot):
    page, store, outbox_url = signed_in
    SendLane.objects.create(store=store, next_slot_at=timezone.now() + timedelta(seconds=42))

    page.goto(outbox_url)

    lane = page.locator("#send-lane")
    expect(lane).to_contain_text("paced at 30/min, 3 waiting, next window in 4")
    screenshot("outbox/lane-paced")

    SendLane.objects.filter(store=store).update(
        held_at=timezone.now(),
        held_reply="535 5.7.139",
        held_reason="Authentication failed, the server answered: 535 5.7.139 Authentication "
        "unsuccessful",
    )
    page.reload()
    at = timezone.localtime(SendLane.objects.get(store=store).held_at).strftime("%H:%M")
    expect(lane).to_contain_text(f"held: authentication refused at {at} (535 5.7.139)")
    expect(lane).to_contain_text("Server reply: Authentication failed")
    screenshot("outbox/lane-held")

    lane.get_by_role("link", name="Fix the credentials on the Notifications page").click()
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    page.get_by_text("Advanced: sending limits").click()
    per_minute = page.get_by_label("Messages per minute")
    expect(per_minute).to_have_value("30")
    per_minute.fill("0")
    page.get_by_role("button", name="Save").click()

    field = page.locator("#field-max_messages_per_minute")
    expect(field).to_contain_text("greater than or equal to 1")
    expect(page.locator("#sending-limits")).to_have_attribute("open", "")
    screenshot("notifications/sending-limits-error")
    assert NotificationSettings.objects.get(store=store).max_messages_per_minute == 30
