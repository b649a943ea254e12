"""The sync status of an LDAP / AD store, as its pages show it (`directory.sync_status`)."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from directory import sync_status
from identitystores.models import IdentityStore

from .models import SyncStatus

# The store types whose directory can be an LDAP server (sync, Directory connection page).
DIRECTORY_TYPES = {IdentityStore.Type.ACTIVE_DIRECTORY, IdentityStore.Type.LDAP}


def status_context(store: IdentityStore, now: datetime) -> dict:
    """The shared status section's context, with this connector's Sync now and command."""
    return {
        **sync_status.status_context(SyncStatus.objects.filter(store=store).first(), store, now),
        "sync_now_url": reverse("ldapsync:sync_now", args=[store.pk]),
        "sync_command": f"manage.py sync_directory --store {store.pk}",
    }
