"""Reconciliation: what change timestamps do not show.

On OpenLDAP a delete leaves nothing to find by modifyTimestamp/entryCSN, and the refint overlay
rewrites member DNs after a rename without touching any timestamp. So, besides the incremental
pass, sync periodically lists every identifier and DN in the directory and compares: objects whose
identifier is gone were deleted; a changed DN is a move or rename (same object, new location).

Deletion is only ever decided from a complete listing (every search returned success); a store
whose listing would delete more than `LDAP_SYNC_MAX_DELETE_FRACTION` of its objects stops with an
error instead — a wrong base DN or filter looks exactly like a mass deletion.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from directory.models import DirectoryObject
from directory.synced import delete_object
from identitystores.models import IdentityStore

from .connection import DirectoryError
from .importer import SOURCE
from .mapping import dn_key
from .models import EntryLink

# Below this many objects a store is too small for a fraction to mean "mass" deletion.
MASS_DELETE_MINIMUM = 5


def reconcile(
    store: IdentityStore, present: dict[str, str], *, allow_mass_delete: bool = False
) -> dict[str, int]:
    """`present` maps every identifier in the directory to its DN."""
    ours = _ours(store)
    gone = [pk for ext, pk in ours.items() if ext not in present]
    _guard(len(gone), len(ours), allow_mass_delete)
    moved = _refresh_dns(store, present, ours)
    for obj in DirectoryObject.objects.filter(pk__in=gone):
        obj.store = store  # one instance for all: no query per change to find the store
        delete_object(obj)
    return {"deleted": len(gone), "moved": moved}


def check_deletions(store: IdentityStore, present: set[str], *, allow_mass_delete: bool) -> None:
    """Raise before anything is applied when a listing would delete too much."""
    ours = _ours(store)
    _guard(sum(1 for ext in ours if ext not in present), len(ours), allow_mass_delete)


def _ours(store: IdentityStore) -> dict[str, int]:
    rows = DirectoryObject.objects.filter(store=store, source=SOURCE)
    return dict(rows.values_list("external_id", "pk"))


def _guard(gone: int, total: int, allow: bool) -> None:
    limit = settings.LDAP_SYNC_MAX_DELETE_FRACTION
    if not allow and total >= MASS_DELETE_MINIMUM and gone > total * limit:
        raise DirectoryError(
            f"Sync stopped: {gone} of {total} objects are no longer found in the directory. "
            "Check the base DN and filters; if the deletions are real, run "
            "`manage.py sync_directory --full --allow-mass-delete`."
        )


def _refresh_dns(store: IdentityStore, present: dict[str, str], ours: dict[str, int]) -> int:
    links = EntryLink.objects.filter(store=store).values_list("object_id", "dn")
    current = dict(links)
    stale = [
        (present[ext], pk)
        for ext, pk in ours.items()
        if ext in present and current.get(pk) != present[ext]
    ]
    with transaction.atomic():
        for dn, pk in stale:
            link = EntryLink.objects.filter(object_id=pk).first()
            previous = link.dn_key if link else ""
            EntryLink.objects.update_or_create(
                object_id=pk,
                defaults={
                    "store": store,
                    "dn": dn,
                    "dn_key": dn_key(dn),
                    "previous_dn_key": previous,
                },
            )
    return len(stale)
