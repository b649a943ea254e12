"""A real crash: `manage.py run_lifecycle` is SIGKILLed half-way through a run, then run again.
Every change is applied once and every notice queued once."""

import os
import re
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from directory.models import DirectoryEvent, DirectoryObject, EventKind, GroupMembership
from lifecycle.jobs import MEMBERSHIP, run_job
from lifecycle.models import JobRun, State, TemporaryMembership
from notifications.models import OutgoingMessage
from tests.support.workers import ROOT, database_url

ITEMS = 300
PROGRESS = re.compile(rb"(\d+)/300")


def progress_then_kill(process: subprocess.Popen, at_least: int, timeout: float = 60.0) -> int:
    """Read the progress bar from stderr; SIGKILL the process once `at_least` items are done."""
    deadline, done, seen = time.monotonic() + timeout, 0, b""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if ready:
            seen = (seen + os.read(process.stderr.fileno(), 4096))[-200:]
            done = max([done, *(int(n) for n in PROGRESS.findall(seen))])
            if done >= at_least:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
                return done
    raise AssertionError(f"the run ended or stalled before {at_least} items (saw {done})")


@pytest.mark.django_db(transaction=True)
def test_it_applies_everything_once_after_the_process_is_killed_half_way(
    contoso, contoso_mail, tmp_path
):
    contoso_mail.ml_on_join = True
    contoso_mail.save()
    club = DirectoryObject.objects.create(
        store=contoso, kind="group", name="Club", security_type="public"
    )
    users = DirectoryObject.objects.bulk_create(
        DirectoryObject(store=contoso, kind="user", name=f"U{i}", email=f"u{i}@contoso.test")
        for i in range(ITEMS)
    )
    today = timezone.now().date()
    TemporaryMembership.objects.bulk_create(
        TemporaryMembership(
            store=contoso, group=club, user=u, start_date=today, end_date=today + timedelta(days=7)
        )
        for u in users
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": "memory://",
        "DIRMGR_VAR_DIR": str(tmp_path),
        "LIFECYCLE_CHUNK": "10",  # the kill lands between two of the 30 chunks
    }
    command = [sys.executable, "manage.py", "run_lifecycle", "--store", str(contoso.pk)]
    process = subprocess.Popen(
        [*command, "--job", "membership"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    progress_then_kill(process, at_least=30)

    applied = GroupMembership.objects.filter(group=club).count()
    assert 30 <= applied < ITEMS
    assert OutgoingMessage.objects.filter(kind="lifecycle").count() == applied
    assert JobRun.objects.get().status == JobRun.Status.RUNNING  # shows as interrupted

    record = run_job(contoso, MEMBERSHIP)
    assert record.counts["applied"] == ITEMS - applied
    assert GroupMembership.objects.filter(group=club).count() == ITEMS
    assert TemporaryMembership.objects.filter(state=State.ACTIVE).count() == ITEMS
    assert DirectoryEvent.objects.filter(kind=EventKind.MEMBER_ADDED).count() == ITEMS
    bcc = OutgoingMessage.objects.filter(kind="lifecycle").values_list("bcc", flat=True)
    assert sorted(bcc) == sorted(f"u{i}@contoso.test" for i in range(ITEMS))
