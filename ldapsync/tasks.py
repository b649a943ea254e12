"""Periodic directory sync: beat sends `sync_all`, which queues one `sync_store` per store."""

from __future__ import annotations

from celery import shared_task

from directory import synced

from .connection import DirectoryError
from .models import DirectoryConnection
from .sync import SyncBusy, sync_store


@shared_task(name="ldapsync.sync_all")
def sync_all() -> int:
    return synced.queue_periodic(DirectoryConnection.objects.all(), sync_store_task)


@shared_task(name="ldapsync.sync_store")
def sync_store_task(store_id: int) -> str:
    """Incremental sync (full the first time)."""
    return synced.run_task(store_id, sync_store, busy=SyncBusy, failed=DirectoryError)
