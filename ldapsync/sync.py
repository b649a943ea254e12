"""One sync of one store: full (every entry) or incremental (entries changed since the watermark,
plus a reconciliation when one is due), with the status line kept up to date.

Nothing is lost when the directory fails mid-way: the watermark only moves after a pass read
everything it asked for, and applying a change twice is a no-op, so the next run redoes the work.

Active Directory numbers changes (uSNChanged) per domain controller, so a USN watermark is only
good on the DC it came from: a pass that lands on another DC (its rootDSE `dsServiceName`
differs, e.g. after a failover to the next URL) runs as a full pass, which reconciles too, and
records the new DC with the new watermark.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from directory import synced
from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from . import fetch, reader
from .apply import Applier
from .connection import DirectoryError, session
from .importer import SOURCE, bulk_import
from .models import DirectoryConnection, Flavor, SyncStatus
from .reconcile import check_deletions, reconcile

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


class SyncBusy(DirectoryError):
    """Another sync of the same store is running."""


@dataclass
class SyncResult:
    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for tuning


def sync_store(
    store: IdentityStore,
    *,
    full: bool = False,
    reconcile_now: bool | None = None,
    allow_mass_delete: bool = False,
    progress: Progress | None = None,
) -> SyncResult:
    """Sync `store`. Raises `DirectoryError` (after recording it on the status line)."""
    conn = DirectoryConnection.objects.get(store=store)
    status, _ = SyncStatus.objects.get_or_create(store=store)
    if not synced.claim(status):
        raise SyncBusy("A sync of this identity store is already running.")
    started = time.monotonic()
    try:
        with session(conn) as ldap:
            reader.check_base(ldap, conn)
            dc = _domain_controller(conn, ldap)
            first = not DirectoryObject.objects.filter(store=store, source=SOURCE).exists()
            if full or first or not status.watermark or _other_dc(store, status, dc):
                result = _full(store, conn, status, ldap, dc, allow_mass_delete, progress)
            else:
                due = _reconcile_due(status) if reconcile_now is None else reconcile_now
                result = _incremental(
                    store, conn, status, ldap, dc, due, allow_mass_delete, progress
                )
    except DirectoryError as exc:
        synced.record_failure(status, str(exc))
        raise
    finally:
        synced.release(status)
    result.duration = time.monotonic() - started
    synced.record_success(status, result.kind, result.counts, result.duration)
    log.info("ldap sync store=%s kind=%s counts=%s", store.pk, result.kind, result.counts)
    return result


def _full(store, conn, status, ldap, dc, allow_mass_delete, progress) -> SyncResult:
    started = timezone.now()
    if DirectoryObject.objects.filter(store=store, source=SOURCE).exists():
        records = reader.read_records(ldap, conn, progress=progress)
        present = {r.external_id: r.dn for r in records}
        check_deletions(store, set(present), allow_mass_delete=allow_mass_delete)
        counts = Applier(store, conn).apply(records)
        counts |= reconcile(store, present, allow_mass_delete=allow_mass_delete)
        counts["read"], seen, kind = len(records), _highest(records), "full"
    else:
        pages = fetch.record_pages(_same_server(conn, ldap))
        counts, seen = bulk_import(store, _counted(pages, progress))
        counts["read"], kind = sum(counts[k] for k in ("users", "contacts", "groups")), "import"
    # A watermark from another DC is no lower bound for this one's: replace it, not raise it.
    old = status.watermark if status.watermark_server == dc.name else ""
    status.watermark = _watermark(old, seen, dc.usn, started)
    status.watermark_server = dc.name
    status.last_full = status.last_reconcile = timezone.now()
    return SyncResult(kind, counts)


def _counted(pages, progress: Progress | None):
    for page in pages:
        if progress:
            progress(len(page))
        yield page


def _highest(records) -> str:
    return reader.highest([r.change for r in records])


def _incremental(store, conn, status, ldap, dc, due, allow_mass_delete, progress) -> SyncResult:
    started = timezone.now()
    changed = f"({conn.change_attribute}>={status.watermark})"
    clock = time.monotonic()
    records = reader.read_records(ldap, conn, extra_filter=changed, progress=progress)
    timings = {"read_s": time.monotonic() - clock}
    # Everything is read (and the deletions checked) before anything is applied.
    listing = reader.read_listing(ldap, conn, progress=progress) if due else None
    if listing is not None:
        check_deletions(store, set(listing.dns), allow_mass_delete=allow_mass_delete)
    clock = time.monotonic()
    counts = Applier(store, conn).apply(records)
    timings["apply_s"] = time.monotonic() - clock
    counts["read"] = len(records)
    if listing is not None:
        counts |= reconcile(store, listing.dns, allow_mass_delete=allow_mass_delete)
        status.last_reconcile = timezone.now()
    status.watermark = _watermark(status.watermark, _highest(records), dc.usn, started)
    status.last_incremental = timezone.now()
    return SyncResult("incremental", counts, timings=timings)


def _domain_controller(conn: DirectoryConnection, ldap) -> reader.DomainController:
    if conn.flavor != Flavor.ACTIVE_DIRECTORY:
        return reader.DomainController()
    return reader.domain_controller(ldap)


def _other_dc(store: IdentityStore, status: SyncStatus, dc: reader.DomainController) -> bool:
    """The watermark came from another domain controller (or from an unknown one)."""
    if status.watermark_server == dc.name:
        return False
    log.warning(
        "ldap sync store=%s: watermark %s is from %r, this pass reads %r: full pass",
        store.pk,
        status.watermark,
        status.watermark_server,
        dc.name,
    )
    return True


def _same_server(conn: DirectoryConnection, ldap) -> DirectoryConnection:
    """The connection settings with only the URL this pass is bound to, so that the import's
    reader process reads the server the watermark is read from, not the next URL."""
    pinned = copy.copy(conn)
    pinned.urls = ldap.server.name
    return pinned


def _watermark(old: str, seen: str, started_usn: str, started: datetime) -> str:
    if not seen and not started_usn:
        return old
    new = reader.next_watermark(seen, started_usn, started, settings.LDAP_SYNC_OVERLAP_SECONDS)
    return reader.highest([old, new])


def _reconcile_due(status: SyncStatus) -> bool:
    if status.last_reconcile is None:
        return True
    interval = timedelta(seconds=settings.LDAP_RECONCILE_INTERVAL_SECONDS)
    return timezone.now() - status.last_reconcile >= interval
