"""Periodic Entra ID sync: beat sends `sync_all`, which queues one `sync_store` per store."""

from __future__ import annotations

import logging

from celery import shared_task

from identitystores.models import IdentityStore

from .errors import EntraError
from .models import EntraConnection
from .sync import SyncBusy, sync_store

log = logging.getLogger(__name__)


@shared_task(name="entrasync.sync_all")
def sync_all() -> int:
    stores = EntraConnection.objects.filter(sync_enabled=True, store__enabled=True)
    ids = list(stores.values_list("store_id", flat=True))
    for store_id in ids:
        sync_store_task.delay(store_id)
    return len(ids)


@shared_task(name="entrasync.sync_store")
def sync_store_task(store_id: int) -> str:
    """Incremental (delta) sync, a bulk import the first time. A failure is on the store's
    status line; the next beat tries again, so the task itself does not retry."""
    store = IdentityStore.objects.get(pk=store_id)
    try:
        result = sync_store(store)
    except SyncBusy:
        return "busy"
    except EntraError as exc:
        log.warning("entra sync store=%s failed: %s", store_id, exc)
        return "failed"
    return result.kind
