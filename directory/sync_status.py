"""What a directory connection page (LDAP / AD, Entra ID) says about syncing: times in the
store's own time zone (named, since its admins may sit elsewhere than the server) with how long
ago, and whether a sync of the store is running now. Each connector keeps its own status row;
this reads the fields they share (`last_run`, `last_error_at`, `running_since`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.html import format_html
from django.utils.timesince import timesince

from identitystores.models import IdentityStore


@dataclass(frozen=True)
class Stamp:
    """One moment as the page shows it: `2025-01-15 13:00:00 Europe/Berlin (5 minutes ago)`."""

    moment: datetime
    local: str
    zone: str
    age: str

    def __str__(self) -> str:
        return f"{self.local} {self.zone} ({self.age})"

    def __html__(self) -> str:
        return format_html(
            '<time datetime="{}">{} {}</time> ({})',
            self.moment.isoformat(),
            self.local,
            self.zone,
            self.age,
        )


def stamp(moment: datetime | None, store: IdentityStore, now: datetime) -> Stamp | None:
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(store.time_zone))
    return Stamp(moment, local.strftime("%Y-%m-%d %H:%M:%S"), store.time_zone, _age(moment, now))


def _age(moment: datetime, now: datetime) -> str:
    # Under a minute (or slightly ahead, another server's clock) timesince would say "0 minutes".
    if now - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


def running_since(status: Any, now: datetime) -> datetime | None:
    """When the sync running now started. A claim older than LDAP_SYNC_STALE_SECONDS belongs to
    a process that died (the next sync takes it over), so it is not a running sync."""
    if status is None or status.running_since is None:
        return None
    stale = now - timedelta(seconds=settings.LDAP_SYNC_STALE_SECONDS)
    return status.running_since if status.running_since >= stale else None


def status_context(status: Any, store: IdentityStore, now: datetime) -> dict:
    """What the status line shows (the Directory connection page and the General page's line):
    the status row (or None), the last run, the last error and a running sync, as `Stamp`s."""
    return {
        "status": status,
        "last_run": stamp(status and status.last_run, store, now),
        "error_at": stamp(status and status.last_error_at, store, now),
        "running": stamp(running_since(status, now), store, now),
    }
