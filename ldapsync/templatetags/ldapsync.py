"""`{% directory_sync_line store %}`: the one-line sync status of a directory store, for pages
outside this app (the store's General page) that should not know how sync keeps its status."""

from __future__ import annotations

from django import template
from django.utils import timezone

from identitystores.models import IdentityStore

from ..models import DirectoryConnection
from ..status import DIRECTORY_TYPES, status_context

register = template.Library()


@register.inclusion_tag("ldapsync/_sync_line.html")
def directory_sync_line(store: IdentityStore) -> dict:
    if store.type not in DIRECTORY_TYPES:
        return {"shown": False}
    return {
        "shown": True,
        "store": store,
        "connected": DirectoryConnection.objects.filter(store=store).exists(),
        **status_context(store, timezone.now()),
    }
