"""Beat → worker: a real Celery worker with embedded beat (DatabaseScheduler) runs a store's
Membership Life Cycle entry from the database, over and over; the change and its notice happen
once."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from directory.models import DirectoryObject, GroupMembership
from lifecycle.models import JobRun, TemporaryMembership
from lifecycle.schedules import task_name
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.workers import ROOT, database_url

pytestmark = pytest.mark.worker


def start_worker(redis_url: str, workdir) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_url,
        "DIRMGR_VAR_DIR": str(workdir),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    log = open(workdir / "worker.log", "ab")  # noqa: SIM115
    command = [sys.executable, "-m", "celery", "-A", "dirmgr", "worker", "-Q", "celery", "-B"]
    process = subprocess.Popen(
        [
            *command,
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    return process


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_it_runs_the_stores_schedule_from_beat_and_applies_once(
    transactional_db, contoso, redis_server, tmp_path
):
    NotificationSettings.objects.create(
        store=contoso, from_email="directory@contoso.test", ml_on_join=True
    )
    club = DirectoryObject.objects.create(
        store=contoso, kind="group", name="Club", security_type="public"
    )
    ann = DirectoryObject.objects.create(
        store=contoso, kind="user", name="Ann", email="ann@contoso.test"
    )
    today = timezone.now().date()
    TemporaryMembership.objects.create(
        store=contoso, group=club, user=ann, start_date=today, end_date=today + timedelta(days=7)
    )
    # The store's own entry, made to fire every second instead of nightly.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.filter(name=task_name(contoso, "membership")).update(
        interval=every_second, crontab=None
    )

    worker = start_worker(redis_server.url, tmp_path)
    try:
        wait_for(lambda: JobRun.objects.filter(status="finished").count() >= 4)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert "lifecycle.run_scheduled_job" in log
    assert GroupMembership.objects.filter(group=club, member=ann).exists()
    assert list(OutgoingMessage.objects.filter(kind="lifecycle").values_list("bcc", flat=True)) == [
        "ann@contoso.test"
    ]
    applied = [r.counts.get("applied", 0) for r in JobRun.objects.filter(status="finished")]
    assert sum(applied) == 1
