"""Periodic Entra ID sync: beat sends `sync_all`, which queues one `sync_store` per store."""

from __future__ import annotations

from celery import shared_task

from directory import synced

from .errors import EntraError
from .models import EntraConnection
from .sync import SyncBusy, sync_store


@shared_task(name="entrasync.sync_all")
def sync_all() -> int:
    return synced.queue_periodic(EntraConnection.objects.all(), sync_store_task)


@shared_task(name="entrasync.sync_store")
def sync_store_task(store_id: int) -> str:
    """Incremental (delta) sync, a bulk import the first time."""
    return synced.run_task(store_id, sync_store, busy=SyncBusy, failed=EntraError)
