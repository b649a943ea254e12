"""The Schedules page in words: common choices, cron's fields in cron's order, plain-word errors
next to the field, a summary and the next three runs in the store's time zone.

The clock is pinned (time-machine) to Friday 27 March 2026, 10:00 UTC: Berlin moves to summer
time two days later, so the next runs also show that they follow the store's wall clock.
"""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from lifecycle.schedules import TASK, save_schedule, task_name

FRIDAY = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
EVERY = {"day_of_month": "*", "month_of_year": "*"}


@pytest.fixture
def berlin(contoso):
    contoso.time_zone = "Europe/Berlin"
    contoso.save()
    return contoso


@pytest.fixture
def pinned():
    with time_machine.travel(FRIDAY, tick=False):
        yield


def post(client, store, **fields):
    data = {"job": "membership", "action": "save", "membership-enabled": "on"}
    data.update({f"membership-{name}": value for name, value in fields.items()})
    return client.post(reverse("lifecycle:schedules", args=[store.pk]), data)


def custom(client, store, **cron):
    fields = {"minute": "0", "hour": "1", "day_of_week": "*", **EVERY, **cron}
    return post(client, store, repeat="custom", **fields)


def crontab(store):
    c = PeriodicTask.objects.get(name=task_name(store, "membership")).crontab
    return (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week)


def field_html(page, name: str) -> str:
    """The markup of one field's block, label to error."""
    html = page.content.decode()
    start = html.rindex('<div class="field', 0, html.index(f'id="field-membership-{name}"'))
    return html[start : html.index("</div>", start)]


def test_it_labels_the_cron_fields_in_crons_order(alice_client, contoso):
    page = alice_client.get(reverse("lifecycle:schedules", args=[contoso.pk])).content.decode()
    section = page[page.index('id="schedule-membership"') :]
    labels = re.findall(r'<label for="id_membership-(\w+)">([^<]+)</label>', section)
    assert labels[:8] == [
        ("enabled", "Enabled"),
        ("repeat", "Runs"),
        ("weekday", "Weekday"),
        ("time", "Time"),
        ("minute", "Minute"),
        ("hour", "Hour"),
        ("day_of_month", "Day of month"),
        ("month_of_year", "Month"),
    ]
    assert labels[8] == ("day_of_week", "Day of week")
    assert "<legend>Custom schedule, in cron's order</legend>" in section


MINUTE = "Minute must be 0–59, a list like 0,30, a range like 0-29, a step like */15 or *."
HOUR = "Hour must be 0–23, a list like 8,12, a range like 8-17 or *."
DAY = "Day of month must be 1–31, a list like 1,15, a range like 1-7 or *."
MONTH = "Month must be 1–12, a list like 1,7, a range like 1-3 or *."
WEEKDAY = "Day of week must be 0–6 (Sunday = 0) or mon–sun, a list like 1,3, a range like 1-5 or *."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("minute", "61", MINUTE),
        ("minute", "*/0", MINUTE),
        ("hour", "abc", HOUR),
        ("hour", "mon", HOUR),
        ("hour", "", HOUR),
        ("day_of_month", "0", DAY),
        ("month_of_year", "13", MONTH),
        ("day_of_week", "7", WEEKDAY),
        ("day_of_week", "funday", WEEKDAY),
    ],
)
def test_it_says_in_plain_words_what_a_cron_field_takes(
    alice_client, contoso, field, value, message
):
    page = custom(alice_client, contoso, **{field: value})
    assert page.status_code == 200
    block = field_html(page, field)
    assert (
        "has-error" in block
        and f'role="alert" id="id_membership-{field}_error">{message}<' in block
    )
    text = page.content.decode()
    for raw in ("No enumeration", "Invalid", "literal", "range:", "slice step"):
        assert raw not in text
    assert crontab(contoso) == ("0", "1", "*", "*", "*")


def test_it_refuses_a_day_that_never_comes(alice_client, contoso):
    page = custom(alice_client, contoso, day_of_month="31", month_of_year="2")
    assert "This day of month never comes in the chosen months" in field_html(page, "day_of_month")
    assert crontab(contoso) == ("0", "1", "*", "*", "*")


def test_it_asks_for_the_time_of_a_common_choice(alice_client, contoso):
    page = post(alice_client, contoso, repeat="daily", time="")
    assert "Enter the time it runs, like 07:30." in field_html(page, "time")
    page = post(alice_client, contoso, repeat="daily", time="25:00")
    assert "Enter a time like 07:30." in field_html(page, "time")


@pytest.mark.parametrize(
    ("fields", "saved"),
    [
        ({"repeat": "daily", "time": "05:45"}, ("45", "5", "*", "*", "*")),
        ({"repeat": "weekdays", "time": "07:30"}, ("30", "7", "*", "*", "1-5")),
        ({"repeat": "weekly", "weekday": "0", "time": "18:00"}, ("0", "18", "*", "*", "0")),
    ],
)
def test_it_saves_a_common_choice_as_a_crontab(alice_client, contoso, fields, saved):
    # The custom fields hold something else: a common choice ignores them.
    assert post(alice_client, contoso, minute="99", **fields).status_code == 302
    assert crontab(contoso) == saved
    task = PeriodicTask.objects.get(name=task_name(contoso, "membership"))
    assert task.task == TASK


def test_it_shows_a_stored_crontab_as_its_common_choice(alice_client, contoso):
    save_schedule(
        contoso, "membership", enabled=True, minute="15", hour="6", day_of_week="0", **EVERY
    )
    page = alice_client.get(reverse("lifecycle:schedules", args=[contoso.pk]))
    assert '<option value="weekly" selected>Once a week</option>' in field_html(page, "repeat")
    assert '<option value="0" selected>Sunday</option>' in field_html(page, "weekday")
    assert 'value="06:15"' in field_html(page, "time")
    cron = {"minute": "*/15", "hour": "8-17", "day_of_week": "*", **EVERY}
    save_schedule(contoso, "membership", enabled=True, **cron)
    page = alice_client.get(reverse("lifecycle:schedules", args=[contoso.pk]))
    assert '<option value="custom" selected>' in field_html(page, "repeat")
    assert 'value="*/15"' in field_html(page, "minute")


def runs_of(html: str, job: str = "membership") -> list[str]:
    preview = html[html.index(f'id="preview-{job}"') :]
    preview = preview[: preview.index("</div>")]
    return re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", preview)


def test_it_sums_up_a_saved_schedule_with_its_next_runs_in_the_stores_zone(
    alice_client, berlin, pinned
):
    assert post(alice_client, berlin, repeat="weekdays", time="07:30").status_code == 302
    page = alice_client.get(reverse("lifecycle:schedules", args=[berlin.pk])).content.decode()
    assert "<strong>At 07:30, Monday through Friday</strong>" in page
    assert runs_of(page) == [
        "Mon 30 Mar 2026, 07:30 CEST",
        "Tue 31 Mar 2026, 07:30 CEST",
        "Wed 1 Apr 2026, 07:30 CEST",
    ]
    # The Managed By default, 01:15 every day, crosses the change to summer time.
    assert "<strong>At 01:15, every day</strong>" in page
    assert runs_of(page, "managedby") == [
        "Sat 28 Mar 2026, 01:15 CET",
        "Sun 29 Mar 2026, 01:15 CET",
        "Mon 30 Mar 2026, 01:15 CEST",
    ]


def test_it_runs_only_on_days_matching_both_day_fields_as_beat_does(alice_client, berlin, pinned):
    cron = {"minute": "0", "hour": "8", "day_of_month": "1", "day_of_week": "1"}
    assert custom(alice_client, berlin, **cron).status_code == 302
    page = alice_client.get(reverse("lifecycle:schedules", args=[berlin.pk])).content.decode()
    assert "At 08:00, on day 1 of the month, only on Monday" in page
    assert runs_of(page) == [
        "Mon 1 Jun 2026, 08:00 CEST",
        "Mon 1 Feb 2027, 08:00 CET",
        "Mon 1 Mar 2027, 08:00 CET",
    ]


def test_it_says_a_disabled_schedule_does_not_run(alice_client, contoso):
    url = reverse("lifecycle:schedules", args=[contoso.pk])
    data = {"job": "membership", "action": "save", "membership-repeat": "daily",
            "membership-time": "02:00"}  # fmt: skip
    assert alice_client.post(url, data).status_code == 302
    page = alice_client.get(url).content.decode()
    assert "Not enabled: it does not run until" in page
    assert runs_of(page) == []


def test_it_previews_the_fields_as_typed(alice_client, berlin, pinned):
    url = reverse("lifecycle:schedule_preview", args=[berlin.pk])
    typed = {"job": "managedby", "managedby-enabled": "on", "managedby-repeat": "weekly",
             "managedby-weekday": "3", "managedby-time": "09:05"}  # fmt: skip
    html = alice_client.get(url, typed).content.decode()
    assert "<strong>At 09:05, only on Wednesday</strong>" in html
    assert re.findall(r">([^<]+)</time>", html) == [
        "Wed 1 Apr 2026, 09:05 CEST",
        "Wed 8 Apr 2026, 09:05 CEST",
        "Wed 15 Apr 2026, 09:05 CEST",
    ]
    bad = {"job": "managedby", "managedby-repeat": "custom", "managedby-minute": "0",
           "managedby-hour": "abc", "managedby-day_of_month": "*",
           "managedby-month_of_year": "*", "managedby-day_of_week": "*"}  # fmt: skip
    html = alice_client.get(url, bad).content.decode()
    assert "Hour must be 0–23, a list like 8,12, a range like 8-17 or *." in html
    assert "Invalid" not in html and "<time" not in html
    # Nothing is saved by a preview.
    assert PeriodicTask.objects.get(name=task_name(berlin, "managedby")).crontab.hour == "1"


def test_it_previews_only_the_stores_own_jobs(alice_client, contoso, fabrikam):
    url = reverse("lifecycle:schedule_preview", args=[fabrikam.pk])
    assert alice_client.get(url, {"job": "membership"}).status_code == 404
    url = reverse("lifecycle:schedule_preview", args=[contoso.pk])
    schedules = reverse("lifecycle:schedules", args=[contoso.pk])
    assert alice_client.get(url, {"job": "nope"}).headers["Location"] == schedules
    assert alice_client.post(url, {"job": "membership"}).status_code == 405
