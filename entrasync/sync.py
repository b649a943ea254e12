"""One sync of one Entra ID store through Microsoft Graph delta queries.

- First sync: the first round of `/users/delta` and `/groups/delta` is the whole tenant; it is
  imported in bulk, notifying nobody (`importer`), and the delta links are kept.
- Next syncs: the saved delta links give only what changed (users, groups, `members@delta`,
  `owners@delta`, `manager@delta`, `@removed`), applied through the change services
  (`apply`), which notify per the store's rules.
- A delta link Graph no longer honours (410 Gone, syncStateNotFound, resyncRequired) makes a
  complete pass: a fresh first round compared with our copy, so what was missed is caught up
  and what is gone is deleted; then the new links are kept.

Links only move after a pass applied everything: a pass that fails mid-way is simply redone by
the next (what it applied already is found equal and changes nothing twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.utils import timezone

from directory import synced
from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .apply import Applier
from .errors import DeltaExpired, EntraError
from .graph import GraphClient
from .importer import bulk_import
from .mapping import GROUPS_DELTA, SOURCE, USERS_DELTA, Entry, Kind, merge
from .models import EntraConnection, EntraSyncStatus
from .prefetch import prefetched

log = logging.getLogger(__name__)


class SyncBusy(EntraError):
    """Another sync of the same store is running."""


@dataclass
class SyncResult:
    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for tuning


@dataclass
class _Links:
    users: str = ""
    groups: str = ""


def sync_store(
    store: IdentityStore, *, full: bool = False, client: GraphClient | None = None
) -> SyncResult:
    """Sync `store`. Raises `EntraError` (after recording it on the status line)."""
    conn = EntraConnection.objects.get(store=store)
    status, _ = EntraSyncStatus.objects.get_or_create(store=store)
    if not synced.claim(status):
        raise SyncBusy("A sync of this identity store is already running.")
    started = time.monotonic()
    try:
        result = _run(store, status, client or GraphClient(conn), full)
    except EntraError as exc:
        synced.record_failure(status, str(exc))
        raise
    finally:
        synced.release(status)
    result.duration = time.monotonic() - started
    synced.record_success(status, result.kind, result.counts, result.duration)
    log.info("entra sync store=%s kind=%s counts=%s", store.pk, result.kind, result.counts)
    return result


def _run(store, status, client: GraphClient, full: bool) -> SyncResult:
    if not DirectoryObject.objects.filter(store=store, source=SOURCE).exists():
        return _import(store, status, client)
    if full or not (status.users_delta_link and status.groups_delta_link):
        return _complete(store, status, client, "full")
    try:
        return _delta(store, status, client)
    except DeltaExpired:
        log.warning("entra sync store=%s: delta link expired, complete pass", store.pk)
        return _complete(store, status, client, "full (delta link expired)")


def _import(store, status, client: GraphClient) -> SyncResult:
    links = _Links()
    counts = bulk_import(store, prefetched(_both_rounds(client, links)))
    _keep(status, links)
    status.last_full = timezone.now()
    return SyncResult("import", counts)


def _complete(store, status, client: GraphClient, kind: str) -> SyncResult:
    links = _Links()
    entries = _round(client, USERS_DELTA, Kind.USER, links, "users")
    entries += _round(client, GROUPS_DELTA, Kind.GROUP, links, "groups")
    counts = Applier(store, complete=True).apply(entries)
    counts["read"] = len(entries)
    _keep(status, links)
    status.last_full = timezone.now()
    return SyncResult(kind, counts)


def _delta(store, status, client: GraphClient) -> SyncResult:
    """The users round is read, then applied while the groups round is read in a thread (the
    reading mostly waits on Graph, the applying on the database and Python): a pass then takes
    about as long as the longer of the two, not their sum. Users first, so every user a group
    names exists when its members are applied."""
    links = _Links()
    clock = time.monotonic()
    users = _round(client, status.users_delta_link, Kind.USER, links, "users")
    timings = {"users_read_s": time.monotonic() - clock}
    with ThreadPoolExecutor(1, thread_name_prefix="graph-groups-round") as reader:
        groups = reader.submit(
            _round, client, status.groups_delta_link, Kind.GROUP, links, "groups"
        )
        clock = time.monotonic()
        counts = Applier(store, complete=False).apply(users)
        timings["users_apply_s"] = time.monotonic() - clock
        clock = time.monotonic()
        group_entries = groups.result()
        timings["groups_wait_s"] = time.monotonic() - clock
    clock = time.monotonic()
    for name, count in Applier(store, complete=False).apply(group_entries).items():
        counts[name] += count
    timings["groups_apply_s"] = time.monotonic() - clock
    counts["read"] = len(users) + len(group_entries)
    _keep(status, links)
    status.last_incremental = timezone.now()
    return SyncResult("incremental", counts, timings=timings)


def _pages(client: GraphClient, url: str, links: _Links, name: str) -> Iterator[list[dict]]:
    """The pages of one round; its delta link lands in `links` once the last page is read."""
    for page, delta_link in client.pages(url):
        if delta_link:
            setattr(links, name, delta_link)
        yield page


def _both_rounds(client: GraphClient, links: _Links) -> Iterator[tuple[str, list[dict]]]:
    """The users round, then the groups round: a group's user members are then always known."""
    for url, name in ((USERS_DELTA, "users"), (GROUPS_DELTA, "groups")):
        for page in _pages(client, url, links, name):
            yield name, page


def _round(client: GraphClient, url: str, kind: str, links: _Links, name: str) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for page in _pages(client, url, links, name):
        merge(entries, kind, page)
    return list(entries.values())


def _keep(status: EntraSyncStatus, links: _Links) -> None:
    if not (links.users and links.groups):
        raise EntraError("Microsoft Graph ended a delta round without a delta link.")
    status.users_delta_link, status.groups_delta_link = links.users, links.groups
