"""The Schedules page in a real browser, on a laptop and on a phone: Alice picks "Weekdays" at
07:30, reads the summary and the next runs while she types, sees a plain-word error in a custom
field, and saves."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore, StoreRole
from lifecycle.schedules import TASK, task_name

pytestmark = pytest.mark.browser
PASSWORD = "browser-schedules-password-1"
WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}
RUN = re.compile(r"^(Mon|Tue|Wed|Thu|Fri) \d{1,2} \w{3} \d{4}, 07:30 CES?T$")


@pytest.fixture
def berlin_store(transactional_db):
    store = IdentityStore.objects.create(
        name="Contoso AD", type=IdentityStore.Type.ACTIVE_DIRECTORY, time_zone="Europe/Berlin"
    )
    user = get_user_model().objects.create_user("alice", "alice@contoso.test", PASSWORD)
    StoreRole.objects.create(user=user, store=store)
    return store


@pytest.mark.parametrize("screen", WIDTHS)
def test_it_sums_up_a_schedule_while_typing_and_saves_it(
    page: Page, live_server, berlin_store, screenshot, screen
):
    width, height = WIDTHS[screen]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("lifecycle:schedules", args=[berlin_store.pk]))

    card = page.locator("#schedule-membership")
    preview = card.locator(".schedule-preview")
    expect(preview).to_contain_text("At 01:00, every day")  # the default, as saved
    card.get_by_label("Runs", exact=True).select_option(label="Weekdays, Monday to Friday")
    expect(card.get_by_label("Weekday", exact=True)).to_be_hidden()
    expect(card.get_by_label("Minute", exact=True)).to_be_hidden()
    card.get_by_label("Time", exact=True).fill("07:30")
    expect(preview).to_contain_text("At 07:30, Monday through Friday")
    runs = preview.locator("time")
    expect(runs).to_have_count(3)
    for text in runs.all_inner_texts():
        assert RUN.match(text), text

    # Custom: cron's five fields, each with a visible label, in cron's order.
    card.get_by_label("Runs", exact=True).select_option(label="Custom (cron fields)")
    fieldset = card.get_by_role("group", name="Custom schedule, in cron's order")
    labels = fieldset.locator("label")
    expect(labels).to_have_text(["Minute", "Hour", "Day of month", "Month", "Day of week"])
    card_box = card.bounding_box()
    for label in labels.all():
        expect(label).to_be_visible()
        box = fieldset.locator(f"#{label.get_attribute('for')}").bounding_box()
        assert box["x"] + box["width"] <= card_box["x"] + card_box["width"] + 0.5
    expect(card.get_by_label("Time", exact=True)).to_be_hidden()
    card.get_by_label("Hour", exact=True).fill("abc")
    expect(preview).to_contain_text("Hour must be 0–23, a list like 8,12, a range like 8-17 or *.")
    screenshot(f"lifecycle/schedules-custom-error-{screen}")

    card.get_by_label("Runs", exact=True).select_option(label="Weekdays, Monday to Friday")
    expect(preview).to_contain_text("At 07:30, Monday through Friday")
    screenshot(f"lifecycle/schedules-weekdays-{screen}")
    card.get_by_role("button", name="Save schedule").click()

    expect(page.get_by_text("Membership Life Cycle schedule saved.")).to_be_visible()
    card = page.locator("#schedule-membership")
    expect(card.get_by_label("Runs", exact=True)).to_have_value("weekdays")
    expect(card.get_by_label("Time", exact=True)).to_have_value("07:30")
    expect(card.locator(".schedule-preview time")).to_have_count(3)
    task = PeriodicTask.objects.get(name=task_name(berlin_store, "membership"))
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "7", "1-5")
    assert (str(crontab.timezone), task.task) == ("Europe/Berlin", TASK)
