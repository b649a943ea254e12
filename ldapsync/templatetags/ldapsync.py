"""`{% directory_sync_line store %}`: the one-line sync status of a directory store, for pages
outside this app (the store's General page) that should not know how sync keeps its status."""

from __future__ import annotations

from django import template
from django.utils import timezone

from identitystores.models import IdentityStore

from ..models import DirectoryConnection, SyncStatus
from ..status import running_since, stamp
from ..views import DIRECTORY_TYPES

register = template.Library()


@register.inclusion_tag("ldapsync/_sync_line.html")
def directory_sync_line(store: IdentityStore) -> dict:
    if store.type not in DIRECTORY_TYPES:
        return {"shown": False}
    status = SyncStatus.objects.filter(store=store).first()
    now = timezone.now()
    return {
        "shown": True,
        "store": store,
        "status": status,
        "connected": DirectoryConnection.objects.filter(store=store).exists(),
        "last_run": stamp(status and status.last_run, store, now),
        "error_at": stamp(status and status.last_error_at, store, now),
        "running": stamp(running_since(status, now), store, now),
    }
