"""The Outbox, an outbox row and History in a real browser, on a laptop and on a phone: search
the Outbox, open a row, watch its status change without a reload, read History grouped by change
and filter it."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from identitystores import audit
from identitystores.models import IdentityStore
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.browser import sign_in, store_admin
from tests.support.outbox import make_row

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-1"
WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}
Status = OutgoingMessage.Status


@pytest.fixture(params=WIDTHS, ids=list(WIDTHS))
def signed_in(request, page: Page, live_server, transactional_db, settings):
    settings.LIVE_REFRESH_SECONDS = 1
    width, height = WIDTHS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    store = IdentityStore.objects.create(name="Contoso AD", type=IdentityStore.Type.ENTRA_ID)
    mail = NotificationSettings.objects.create(
        store=store, smtp_host="127.0.0.1", from_email="directory@contoso.test"
    )
    user = store_admin(store, PASSWORD)
    sign_in(page, live_server.url, PASSWORD)
    return page, live_server.url, mail, user, request.param


def fits(page: Page, locator) -> None:
    box, viewport = locator.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, (box, viewport)


def test_search_the_outbox_open_a_row_and_see_it_sent_without_reload(signed_in, screenshot):
    page, base, mail, _, size = signed_in
    make_row(mail, "Ben left Sales", status=Status.DEAD)
    pk = make_row(
        mail,
        "Ann joined Sales",
        status=Status.RETRYING,
        attempts=2,
        last_error="451 4.3.0 Mailbox busy",
        next_attempt_at=timezone.now() + timezone.timedelta(minutes=5),
    )
    make_row(mail, "Carl joined Support", status=Status.QUEUED)
    page.goto(base + reverse("notifications:outbox", args=[mail.store.pk]) + "?show=all")

    page.get_by_label("Subject or recipient").fill("joined sales")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("link", name="Ann joined Sales")).to_be_visible()
    expect(page.get_by_role("link", name="Carl joined Support")).to_have_count(0)
    expect(page.get_by_role("link", name="Ben left Sales")).to_have_count(0)
    fits(page, page.get_by_role("button", name="Apply"))
    screenshot(f"lists/outbox-search-{size}")

    page.get_by_role("link", name="Ann joined Sales").click()

    expect(page.get_by_role("heading", name="Ann joined Sales")).to_be_visible()
    live = page.locator("#row-live")
    expect(live).to_contain_text("Retrying")
    expect(live).to_contain_text("Next attempt")
    expect(live).to_contain_text("451 4.3.0 Mailbox busy")
    expect(page.get_by_text("ann@contoso.test").first).to_be_visible()
    screenshot(f"lists/outbox-row-{size}")
    page.evaluate("window.notReloaded = true")

    OutgoingMessage.objects.filter(pk=pk).update(
        status=Status.SENT, sent_at=timezone.now(), attempts=3, last_error=""
    )

    expect(live.locator(".badge")).to_have_text("Sent", timeout=10_000)
    expect(live).to_contain_text("Attempts3")
    assert page.evaluate("window.notReloaded") is True
    screenshot(f"lists/outbox-row-sent-{size}")


def test_the_outbox_list_shows_a_status_change_without_reload(signed_in):
    page, base, mail, _, _ = signed_in
    pk = make_row(mail, "Dana joined Sales", status=Status.QUEUED)
    page.goto(base + reverse("notifications:outbox", args=[mail.store.pk]) + "?show=all")
    row = page.get_by_role("row").filter(has_text="Dana joined Sales")
    expect(row).to_contain_text("Queued")
    page.evaluate("window.notReloaded = true")

    OutgoingMessage.objects.filter(pk=pk).update(status=Status.DEAD, last_error="550 No such user")

    expect(row).to_contain_text("Failed", timeout=10_000)
    expect(row).to_contain_text("550 No such user")
    assert page.evaluate("window.notReloaded") is True


def test_history_is_grouped_per_change_and_filtered(signed_in, screenshot):
    page, base, mail, user, size = signed_in
    audit.record(
        mail.store,
        user,
        "notification settings changed",
        [("SMTP Server", "old.contoso.test", "smtp.contoso.test"), ("Port", "25", "587")],
    )
    audit.record(
        mail.store, "Directory sync", "directory.member_added", [("Sales · member", "", "Ann")]
    )
    page.goto(base + reverse("identitystores:history", args=[mail.store.pk]))

    changes = page.locator(".history-change")
    expect(changes).to_have_count(2)
    settings_change = changes.filter(has_text="Notification settings changed")
    expect(settings_change.get_by_role("row")).to_have_count(3)  # header + two fields
    expect(settings_change).to_contain_text("smtp.contoso.test")
    expect(changes.filter(has_text="Member added")).to_contain_text("by Directory sync")
    screenshot(f"lists/history-{size}")

    page.get_by_label("What").select_option(label="Member added")
    page.get_by_role("button", name="Apply").click()

    expect(changes).to_have_count(1)
    expect(changes.first).to_contain_text("Member added")

    page.get_by_label("Since").fill("2026-05-02")
    page.get_by_label("Until").fill("2026-05-01")
    page.get_by_role("button", name="Apply").click()

    expect(page.locator("#id_until_error")).to_have_text("Until must be on or after Since.")
    screenshot(f"lists/history-filter-error-{size}")
