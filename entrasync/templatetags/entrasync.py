"""`{% entra_sync_line store %}`: the one-line sync status of an Entra ID store, for pages
outside this app (the store's General page) that should not know how sync keeps its status."""

from __future__ import annotations

from django import template
from django.utils import timezone

from directory import sync_status
from identitystores.models import IdentityStore

from ..models import EntraConnection, EntraSyncStatus

register = template.Library()


@register.inclusion_tag("entrasync/_sync_line.html")
def entra_sync_line(store: IdentityStore) -> dict:
    if store.type != IdentityStore.Type.ENTRA_ID:
        return {"shown": False}
    return {
        "shown": True,
        "store": store,
        "connected": EntraConnection.objects.filter(store=store).exists(),
        **sync_status.status_context(
            EntraSyncStatus.objects.filter(store=store).first(), store, timezone.now()
        ),
    }
