"""A broker that is down (closed port) or hung (accepts connections, never answers): a web request
that queues work answers within seconds, what it committed stays for the sweeper, and the admin is
told in plain words what was not queued."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from identitystores.models import AuditEntry
from notifications.delivery import sweep
from notifications.models import OutgoingMessage
from tests.support.outbox import make_row
from tests.support.workers import broker

pytest_plugins = ["tests.support.ldap_server"]
pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs inside the request
ROOT = Path(__file__).resolve().parents[2]
GUARD_SECONDS = 10  # today's code hangs > 90 s on the silent broker
NOT_QUEUED = "the task queue (Celery broker) cannot be reached"


@pytest.fixture
def silent_url(silent_port) -> str:
    return f"redis://127.0.0.1:{silent_port}/0"


@pytest.fixture(params=["silent", "closed"])
def dead_broker(request, silent_url, closed_port) -> Iterator[str]:
    """The production socket timeouts, pointed at a hung broker or at a closed port."""
    url = silent_url if request.param == "silent" else f"redis://127.0.0.1:{closed_port}/0"
    with broker(url, settings.BROKER_SOCKET_TIMEOUTS):
        yield url


def timed(call, *args, **kwargs):
    started = time.monotonic()
    result = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    print(f"elapsed {elapsed:.2f} s")
    return result, elapsed


def test_a_change_answers_in_seconds_and_its_mail_waits_for_the_sweeper(
    dead_broker, alice_client, contoso, contoso_mail, make_object
):
    contoso_mail.notify_modified_object = True
    contoso_mail.save()
    ann = make_object("user", "Ann", "ann@contoso.test")
    form = {
        "action": "attributes",
        "attr-name": "Ann Smith",
        "attr-email": "ann@contoso.test",
        "attr-mail_enabled": "on",
        "attr-language": "en",
    }

    response, elapsed = timed(
        alice_client.post, f"/identity-stores/{contoso.pk}/directory/{ann.pk}/", form, follow=True
    )

    assert elapsed < GUARD_SECONDS
    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.name == "Ann Smith"
    row = OutgoingMessage.objects.get()
    assert row.status == OutgoingMessage.Status.QUEUED
    later = timezone.now() + timedelta(seconds=settings.MAIL_LOST_AFTER_SECONDS + 1)
    assert sweep(later) == [row.pk]


def test_the_outbox_send_answers_in_seconds_and_leaves_the_row_for_the_sweeper(
    dead_broker, alice_client, contoso_mail
):
    dead = make_row(contoso_mail, "Failed", status=OutgoingMessage.Status.DEAD, attempts=8)

    response, elapsed = timed(
        alice_client.post,
        reverse("notifications:outbox", args=[contoso_mail.store.pk]) + "?show=failed",
        {"action": "send", "message": [dead]},
        follow=True,
    )

    assert elapsed < GUARD_SECONDS
    assert "1 message queued to be sent now." in response.content.decode()
    assert OutgoingMessage.objects.get(pk=dead).status == OutgoingMessage.Status.QUEUED
    later = timezone.now() + timedelta(seconds=settings.MAIL_LOST_AFTER_SECONDS + 1)
    assert sweep(later) == [dead]


def test_run_now_says_next_to_its_button_that_nothing_was_queued(
    dead_broker, alice_client, contoso
):
    url = reverse("lifecycle:schedules", args=[contoso.pk])

    response, elapsed = timed(alice_client.post, url, {"job": "managedby", "action": "run"})

    assert elapsed < GUARD_SECONDS
    assert response.status_code == 200
    page = response.content.decode()
    section = page[page.index('id="schedule-managedby"') :]
    section = strip_tags(section[: section.index("</section>")])
    assert f"Not queued: {NOT_QUEUED}, so the job did not start." in section
    assert f"manage.py run_lifecycle --store {contoso.pk} --job managedby" in section
    assert "queued to run now" not in page
    entries = AuditEntry.objects.filter(store=contoso, action="lifecycle.run_now")
    assert sorted(entries.values_list("field", "new_value")) == [
        ("job", "managedby"),
        ("result", f"not queued: {NOT_QUEUED}"),
    ]


def test_sync_now_says_the_sync_was_not_queued(dead_broker, ldap_store, ldap_admin, client):
    client.force_login(ldap_admin)
    url = reverse("ldapsync:sync_now", args=[ldap_store.pk])

    response, elapsed = timed(client.post, url, follow=True)

    assert elapsed < GUARD_SECONDS
    assert response.status_code == 200
    assert f"The sync could not be queued: {NOT_QUEUED}, so nothing was started." in strip_tags(
        response.content.decode()
    )
    entry = AuditEntry.objects.get(store=ldap_store, action="directory sync requested")
    assert (entry.field, entry.new_value) == ("result", f"not queued: {NOT_QUEUED}")


def test_the_settings_bound_a_publish_to_a_silent_redis(silent_url):
    """The settings as a deployment reads them: CELERY_BROKER_URL from the environment."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": silent_url,
        "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
    }
    code = (
        "import django, time; django.setup()\n"
        "from notifications.tasks import dispatch\n"
        "started = time.monotonic(); queued = dispatch([1])\n"
        "print(queued, round(time.monotonic() - started, 2))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    print(done.stdout)
    assert done.returncode == 0, done.stderr
    queued, seconds = done.stdout.split()
    assert queued == "False"
    assert float(seconds) < 2 * settings.BROKER_TIMEOUT_SECONDS + 1
    assert "outbox rows wait for the sweeper" in done.stderr
