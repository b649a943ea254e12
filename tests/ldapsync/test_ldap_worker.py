"""Sync now, run by a real Celery worker over the test's own Redis: the worker process starts the
import's reader processes itself, and the page shows the result."""

import time

import pytest
from django.urls import reverse

from directory.models import DirectoryObject, GroupMembership
from ldapsync.models import SyncStatus

pytest_plugins = ["tests.support.ldap_server"]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_sync(store, worker, timeout=60.0) -> SyncStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = SyncStatus.objects.filter(store=store).first()
        if status and (status.last_kind or status.last_error):
            return status
        time.sleep(0.3)
    raise AssertionError(f"no sync after {timeout} s\n{worker.log()[-3000:]}")


def test_a_worker_runs_the_import_that_sync_now_queued(
    client, ldap_store, ldap_admin, celery_worker
):
    worker = celery_worker(queues="mail,celery")
    client.force_login(ldap_admin)

    response = client.post(reverse("ldapsync:sync_now", args=[ldap_store.pk]), follow=True)
    assert "Sync queued" in response.content.decode()

    status = wait_for_sync(ldap_store, worker)
    assert (status.last_kind, status.last_error) == ("import", "")
    assert DirectoryObject.objects.filter(store=ldap_store).count() == 9
    assert GroupMembership.objects.filter(group__store=ldap_store).exists()
    page = client.get(reverse("ldapsync:connection", args=[ldap_store.pk])).content.decode()
    assert "Last sync (import)" in page
