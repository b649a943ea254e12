"""The Celery tasks: beat's `entrasync.sync_all` queues one `entrasync.sync_store` per store with
periodic sync on; a failure is recorded on the status line, not retried by the task."""

import pytest

from directory.models import DirectoryObject
from entrasync.models import EntraConnection, EntraSyncStatus
from entrasync.tasks import sync_all, sync_store_task


@pytest.mark.usefixtures("eager_celery")
def test_sync_all_syncs_each_store_with_periodic_sync(entra_store):
    assert sync_all() == 1
    assert DirectoryObject.objects.filter(store=entra_store).count() == 7

    EntraConnection.objects.filter(store=entra_store).update(sync_enabled=False)
    assert sync_all() == 0


def test_a_failed_sync_is_on_the_status_line(entra_store, graph):
    graph.client_secret = "rotated"

    assert sync_store_task(entra_store.pk) == "failed"

    status = EntraSyncStatus.objects.get(store=entra_store)
    assert status.last_error.startswith("The client secret is wrong (AADSTS7000215)")
    assert sync_store_task.name == "entrasync.sync_store"
