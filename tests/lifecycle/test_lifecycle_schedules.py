"""Schedules: per-store beat entries (django-celery-beat), the Schedules page, the run-now command,
the task beat runs, and the pages that schedule temporary changes."""

import json
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from directory.models import GroupMembership
from dirmgr.celery import app
from identitystores.models import AuditEntry, IdentityStore
from lifecycle.models import PasswordExpiryGroup, TemporaryManagedBy, TemporaryMembership
from lifecycle.schedules import TASK, task_name
from lifecycle.tasks import run_scheduled_job


def test_it_creates_the_default_schedules_of_a_new_store_in_its_time_zone(db):
    store = IdentityStore.objects.create(name="Tokyo AD", time_zone="Asia/Tokyo")
    tasks = PeriodicTask.objects.filter(name__startswith=f"lifecycle:{store.pk}:")
    assert sorted(t.name for t in tasks) == [
        task_name(store, "managedby"),
        task_name(store, "membership"),
        task_name(store, "password-expiry"),
    ]
    membership = tasks.get(name=task_name(store, "membership"))
    assert (membership.crontab.minute, membership.crontab.hour) == ("0", "1")
    assert str(membership.crontab.timezone) == "Asia/Tokyo"
    assert json.loads(membership.kwargs) == {"store_id": store.pk, "job": "membership"}
    assert membership.task == TASK

    store.time_zone = "Europe/Berlin"
    store.save()
    membership.refresh_from_db()
    assert str(membership.crontab.timezone) == "Europe/Berlin"

    store.delete()
    assert not PeriodicTask.objects.filter(name__startswith="lifecycle:").exists()


def test_it_gives_an_entra_id_store_no_password_expiry_schedule(fabrikam):
    names = PeriodicTask.objects.filter(name__startswith=f"lifecycle:{fabrikam.pk}:")
    assert sorted(names.values_list("name", flat=True)) == [
        task_name(fabrikam, "managedby"),
        task_name(fabrikam, "membership"),
    ]


def test_it_keeps_the_settings_beat_entries_under_the_database_scheduler(db):
    """What DatabaseScheduler.setup_schedule does with each settings entry at beat start."""
    from django_celery_beat.schedulers import DatabaseScheduler

    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    entries = {
        name: DatabaseScheduler.Entry.from_entry(name, app=app, **fields)
        for name, fields in app.conf.beat_schedule.items()
    }
    for name, fields in settings.CELERY_BEAT_SCHEDULE.items():
        task = PeriodicTask.objects.get(name=name)
        assert (task.task, task.enabled) == (fields["task"], True)
        assert task.interval.every == fields["schedule"]
        assert entries[name].is_due()[1] <= fields["schedule"]
    assert entries["worker-heartbeat"].options["expires"] == 25


def test_it_runs_the_task_beat_sends_with_the_stored_arguments(contoso, contoso_mail, make_object):
    club = make_object("group", "Club", security_type="public")
    ann = make_object("user", "Ann", "ann@contoso.test")
    today = date.today()
    TemporaryMembership.objects.create(
        store=contoso, group=club, user=ann, start_date=today, end_date=today + timedelta(days=7)
    )
    entry = PeriodicTask.objects.get(name=task_name(contoso, "membership"))
    assert entry.task == run_scheduled_job.name
    result = app.tasks[entry.task].apply(kwargs=json.loads(entry.kwargs)).get()
    assert result.startswith(f"membership · {today.isoformat()}: 1 changes applied")
    assert GroupMembership.objects.filter(group=club, member=ann).exists()


def test_it_runs_a_job_now_from_the_command_with_a_summary(contoso, make_object, capsys):
    club = make_object("group", "Club", security_type="public")
    ann = make_object("user", "Ann", "ann@contoso.test")
    today = date.today()
    TemporaryMembership.objects.create(
        store=contoso,
        group=club,
        user=ann,
        start_date=today - timedelta(days=9),
        end_date=today - timedelta(days=2),
    )
    call_command("run_lifecycle", store=contoso.pk, job="membership")
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == (
        f"membership · {today.isoformat()}: 0 changes applied, 0 reminders, 1 skipped, "
        "0 already as scheduled, 0 messages queued"
    )
    assert out.splitlines()[1].startswith("skipped: Join for a period: Ann · Club from")
    assert "1/1" in err  # the progress bar


def test_it_refuses_an_unknown_store_in_the_command(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No identity store with id 999"):
        call_command("run_lifecycle", store=999, job="membership")


# --- The Schedules page -----------------------------------------------------------------------


def test_it_shows_the_schedules_page_only_to_the_stores_admins(alice_client, contoso, fabrikam):
    page = alice_client.get(reverse("lifecycle:schedules", args=[contoso.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Membership Life Cycle", "Managed By Life Cycle", "Password expiry group"):
        assert label in text
    assert "Europe/Berlin" not in text and "UTC" in text
    other = alice_client.get(reverse("lifecycle:schedules", args=[fabrikam.pk]))
    assert other.status_code == 404


def test_it_saves_an_edited_schedule_and_records_it(alice_client, contoso):
    url = reverse("lifecycle:schedules", args=[contoso.pk])
    form = {
        "job": "membership",
        "action": "save",
        "membership-enabled": "on",
        "membership-repeat": "custom",
        "membership-minute": "30",
        "membership-hour": "4",
        "membership-day_of_week": "1-5",
        "membership-day_of_month": "*",
        "membership-month_of_year": "*",
    }
    assert alice_client.post(url, form).status_code == 302
    task = PeriodicTask.objects.get(name=task_name(contoso, "membership"))
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "4", "1-5")
    assert task.enabled
    entry = AuditEntry.objects.filter(action="lifecycle.schedule").order_by("field")
    assert [(e.field, e.old_value, e.new_value) for e in entry] == [
        ("membership day_of_week", "*", "1-5"),
        ("membership hour", "1", "4"),
        ("membership minute", "0", "30"),
    ]

    form.pop("membership-enabled")
    form["membership-hour"] = "25"
    page = alice_client.post(url, form)
    assert page.status_code == 200
    assert "membership-hour" in page.content.decode() and "has-error" in page.content.decode()
    task.refresh_from_db()
    assert task.enabled and task.crontab.hour == "4"


def test_it_queues_a_run_now(
    alice_client, contoso, memory_broker, django_capture_on_commit_callbacks
):
    url = reverse("lifecycle:schedules", args=[contoso.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, {"job": "managedby", "action": "run"})
    assert response.status_code == 302
    published = memory_broker("celery")
    assert [(p.task, p.ids) for p in published] == [(TASK, contoso.pk)]


def test_it_offers_no_password_expiry_group_in_an_entra_id_store(client, bob, fabrikam):
    client.force_login(bob)
    page = client.get(reverse("lifecycle:schedules", args=[fabrikam.pk])).content.decode()
    assert "Password expiry Smart Groups cannot be created in a Microsoft Entra ID" in page
    assert 'name="group"' not in page
    response = client.post(
        reverse("lifecycle:password_group", args=[fabrikam.pk]), {"days": "5"}, follow=True
    )
    assert "cannot be created in a Microsoft Entra ID" in response.content.decode()
    assert not PasswordExpiryGroup.objects.exists()


def test_it_saves_the_password_expiry_group(alice_client, contoso, make_object):
    smart = make_object("group", "Expiring", security_type="private")
    url = reverse("lifecycle:password_group", args=[contoso.pk])
    alice_client.post(url, {"group": smart.pk, "days": "10", "send_warnings": "on"})
    config = PasswordExpiryGroup.objects.get(store=contoso)
    assert (config.group, config.days, config.send_warnings) == (smart, 10, True)


# --- Temporary changes pages ------------------------------------------------------------------


def test_it_schedules_a_temporary_membership_with_a_portal_duration(
    alice_client, contoso, make_object
):
    club = make_object("group", "Club", security_type="semi_private")
    make_object("group", "Board", security_type="private")
    ann = make_object("user", "Ann", "ann@contoso.test")
    url = reverse("lifecycle:temporary_memberships", args=[contoso.pk])
    page = alice_client.get(url).content.decode()
    assert "Club" in page and "Board" not in page  # private groups are not offered
    response = alice_client.post(
        url,
        {"action": "join", "user": ann.pk, "group": club.pk, "start_date": "2026-03-02",
         "duration": "30"},
    )  # fmt: skip
    assert response.status_code == 302
    item = TemporaryMembership.objects.get()
    assert (item.start_date, item.end_date) == (date(2026, 3, 2), date(2026, 4, 1))
    assert "Ann" in alice_client.get(url).content.decode()


def test_it_asks_for_the_end_of_a_custom_range(alice_client, contoso, make_object):
    club = make_object("group", "Club", security_type="public")
    ann = make_object("user", "Ann", "ann@contoso.test")
    url = reverse("lifecycle:temporary_memberships", args=[contoso.pk])
    page = alice_client.post(
        url,
        {"action": "join", "user": ann.pk, "group": club.pk, "start_date": "2026-03-02",
         "duration": "custom"},
    )  # fmt: skip
    assert "Enter the end of the custom range." in page.content.decode()
    assert not TemporaryMembership.objects.exists()


def test_it_schedules_a_temporary_manager_and_refuses_a_group_as_manager(
    alice_client, contoso, make_object
):
    ann = make_object("user", "Ann", "ann@contoso.test")
    tom = make_object("user", "Tom", "tom@contoso.test")
    leads = make_object("group", "Leads", security_type="private")
    url = reverse("lifecycle:temporary_managed_by", args=[contoso.pk])
    data = {"role": "manager", "target": ann.pk, "start_date": "2026-03-02", "duration": "7"}
    page = alice_client.post(url, {**data, "holder": leads.pk})
    assert "A manager must be a user." in page.content.decode()
    assert alice_client.post(url, {**data, "holder": tom.pk}).status_code == 302
    item = TemporaryManagedBy.objects.get()
    assert (item.holder, item.end_date) == (tom, date(2026, 3, 9))
