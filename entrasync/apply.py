"""Bringing our copy in line with a delta round, one change service call per difference, as
the "directory-sync" route — so a member added in Entra ID notifies exactly as one added over
LDAP or in the Admin Center.

A round is either complete (the first round of a delta cycle: every object and every
relationship, so whatever it does not name is gone) or a delta (only what changed since the
saved delta link: relationships arrive as added and `@removed` ids). Objects first, in batches,
then relationships, once every object of the round exists so a reference can point at any.
Because each change is compared with our copy first, a change already made here (a write-back
that went to Graph first) is found equal and notifies nobody again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from core.chunks import chunks
from directory import changes, hooks
from directory.changes import ChangeError
from directory.models import AdditionalOwner, DirectoryObject, GroupMembership
from directory.synced import SYNC_ACTOR, delete_object
from identitystores.models import IdentityStore

from .errors import EntraError
from .mapping import SOURCE, Entry, Kind

log = logging.getLogger(__name__)
BATCH = 500
MAX_NAMED = 20_000  # ids one query lists (SQLite takes at most 32,766 parameters)
MASS_DELETE_MINIMUM = 5  # below this many objects a fraction does not mean "mass" deletion


def _guard(gone: int, total: int) -> None:
    """A complete round that would delete most of the store more likely lost its permissions
    than its users: stop before changing anything (as LDAP sync does)."""
    limit = settings.LDAP_SYNC_MAX_DELETE_FRACTION
    if total >= MASS_DELETE_MINIMUM and gone > total * limit:
        raise EntraError(
            f"Sync stopped: {gone} of {total} objects are no longer listed by Microsoft Graph. "
            "Check the app registration's permissions; nothing was changed."
        )


class Applier:
    def __init__(self, store: IdentityStore, *, complete: bool) -> None:
        self.store = store
        self.complete = complete
        self.ids: dict[str, int] = {}
        self.members: dict[int, set[int]] = {}
        self.extra_owners: dict[int, set[int]] = {}
        self.others: dict[int, DirectoryObject] = {}
        self.counts = dict.fromkeys(
            ("created", "updated", "deleted", "references", "rejected", "unresolved"), 0
        )

    def apply(self, entries: list[Entry]) -> dict[str, int]:
        self.ids = self._known_ids(entries)
        with hooks.batch():
            self._deletions(entries)
            present = [e for e in entries if not e.gone]
            for batch in chunks(present, BATCH):
                with transaction.atomic(), changes.records_in_bulk():
                    self._objects(batch)
            for batch in chunks(present, BATCH):
                with transaction.atomic(), changes.records_in_bulk():
                    self._references(batch)
        return self.counts

    def _known_ids(self, entries: list[Entry]) -> dict[str, int]:
        """Graph id → our id: of every object for a complete round (what it does not name is
        gone), else only of the objects the round names, directly or in a relationship."""
        rows = DirectoryObject.objects.filter(store=self.store, source=SOURCE)
        if self.complete:
            return dict(rows.values_list("external_id", "pk"))
        named = set()
        for entry in entries:
            named.add(entry.id)
            for links in (entry.members, entry.owners, entry.manager):
                named.update(links.added, links.removed)
        found: dict[str, int] = {}
        for batch in chunks(sorted(named), BATCH):
            found.update(rows.filter(external_id__in=batch).values_list("external_id", "pk"))
        return found

    # --- objects ------------------------------------------------------------------------------
    def _deletions(self, entries: list[Entry]) -> None:
        """`@removed` objects, and in a complete round every object it does not name."""
        gone = {e.id for e in entries if e.gone}
        if self.complete:
            named = {e.id for e in entries if not e.gone}
            gone |= set(self.ids) - named
            _guard(len(gone), len(self.ids))
        for obj in DirectoryObject.objects.filter(store=self.store, external_id__in=gone):
            obj.store = self.store
            delete_object(obj)
            self.ids.pop(obj.external_id, None)
            self.counts["deleted"] += 1

    def _objects(self, batch: list[Entry]) -> None:
        found = DirectoryObject.objects.filter(
            store=self.store, external_id__in=[e.id for e in batch]
        )
        existing = {o.external_id: self._own(o) for o in found}
        updates = []
        for entry in batch:
            obj = existing.get(entry.id)
            if obj is None:
                self._create(entry)
            elif any(getattr(obj, k) != v for k, v in entry.values.items()):
                updates.append((obj, entry.values))
        result = changes.update_attributes_in_bulk(updates, SYNC_ACTOR)
        self.counts["updated"] += len(result.updated)
        for obj, exc in result.refused:
            self._reject(obj.external_id, exc)

    def _create(self, entry: Entry) -> None:
        try:
            obj = changes.create_object(
                self.store,
                SYNC_ACTOR,
                entry.kind,
                external_id=entry.id,
                source=SOURCE,
                **({"name": entry.id} | entry.values),
            )
        except ChangeError as exc:
            self._reject(entry.id, exc)
            return
        self.ids[entry.id] = obj.pk
        self.counts["created"] += 1

    def _reject(self, external_id: str, exc: ChangeError) -> None:
        self.counts["rejected"] += 1
        log.warning("entra sync of %s skipped %s: %s", self.store.pk, external_id, exc.message)

    # --- relationships ------------------------------------------------------------------------
    def _references(self, batch: list[Entry]) -> None:
        objects = {
            o.external_id: self._own(o)
            for o in DirectoryObject.objects.filter(
                store=self.store, external_id__in=[e.id for e in batch]
            )
        }
        self._preload(batch, [o.pk for o in objects.values() if o.kind == Kind.GROUP])
        for entry in batch:
            obj = objects.get(entry.id)
            if obj is None:
                continue
            try:
                if entry.kind == Kind.USER:
                    self._manager(obj, entry)
                else:
                    self._members(obj, entry)
                    self._owners(obj, entry)
            except ChangeError as exc:
                self._reject(entry.id, exc)

    def _preload(self, batch: list[Entry], groups: list[int]) -> None:
        """The batch's current members and additional owners in two queries, and every object
        its relationships name in one, instead of queries per change. A delta round names only
        the members that changed, so only those of its groups' memberships are read (a group of
        thousands with one new member costs one row, not thousands); a complete round compares
        every member, as does a batch naming more objects than one query may list."""
        named = {
            self.ids.get(ext)
            for entry in batch
            for links in (entry.members, entry.owners, entry.manager)
            for ext in (*links.added, *links.removed)
        } - {None}
        among = None if self.complete or len(named) > MAX_NAMED else named
        self.members = _edges(GroupMembership, "group_id", "member_id", groups, among)
        self.extra_owners = _edges(AdditionalOwner, "group_id", "owner_id", groups)
        found = DirectoryObject.objects.in_bulk(named) if named else {}
        self.others = {pk: self._own(obj) for pk, obj in found.items()}

    def _wanted(self, current: set[int], links, self_pk: int) -> list[int]:
        """The ids a relationship should hold after this round, in Graph's order."""
        if not self.complete and not links.seen:
            return sorted(current)
        removed = {self.ids.get(x) for x in links.removed}
        kept = [] if self.complete else [pk for pk in sorted(current) if pk not in removed]
        wanted = dict.fromkeys(kept)
        for ext in links.added:
            pk = self.ids.get(ext)
            if pk is None:
                self.counts["unresolved"] += 1
            elif pk != self_pk:
                wanted[pk] = None
        return list(wanted)

    def _manager(self, user: DirectoryObject, entry: Entry) -> None:
        current = {user.primary_manager_id} - {None}
        wanted = self._wanted(current, entry.manager, user.pk)
        primary = wanted[-1] if wanted else None  # Entra ID has one manager: the latest wins
        if user.primary_manager_id != primary:
            changes.set_primary_manager(user, self._get(primary), SYNC_ACTOR)
            self.counts["references"] += 1

    def _members(self, group: DirectoryObject, entry: Entry) -> None:
        current = self.members.get(group.pk, set())
        wanted = self._wanted(current, entry.members, group.pk)
        for pk in current - set(wanted):
            changes.remove_member(group, self._get(pk), SYNC_ACTOR)
        for pk in [p for p in wanted if p not in current]:
            changes.add_member(group, self._get(pk), SYNC_ACTOR)
        self.counts["references"] += len(current ^ set(wanted))

    def _owners(self, group: DirectoryObject, entry: Entry) -> None:
        """Entra ID owners have no order: the primary owner stays while still an owner, else
        the first owner Graph lists becomes primary; the others are additional owners."""
        extra = self.extra_owners.get(group.pk, set())
        current = extra | ({group.primary_owner_id} - {None})
        wanted = self._wanted(current, entry.owners, group.pk)
        if set(wanted) == current:
            return
        primary = group.primary_owner_id if group.primary_owner_id in wanted else None
        primary = primary or (wanted[0] if wanted else None)
        for pk in extra - set(wanted) | ({primary} & extra):
            changes.remove_additional_owner(group, self._get(pk), SYNC_ACTOR)
        if group.primary_owner_id != primary:
            changes.set_primary_owner(group, self._get(primary), SYNC_ACTOR)
        for pk in [p for p in wanted if p != primary and p not in extra]:
            changes.add_additional_owner(group, self._get(pk), SYNC_ACTOR)
        self.counts["references"] += len(current ^ set(wanted))

    def _get(self, pk: int | None) -> DirectoryObject | None:
        if pk is None:
            return None
        if pk not in self.others:
            self.others[pk] = self._own(DirectoryObject.objects.get(pk=pk))
        return self.others[pk]

    def _own(self, obj: DirectoryObject) -> DirectoryObject:
        """Objects are read by store, so they share its instance (one query saved per change)."""
        obj.store = self.store
        return obj


def _edges(
    model, key: str, value: str, pks: list[int], among: set[int] | None = None
) -> dict[int, set[int]]:
    """`key` → set of `value` for the rows of `model` whose `key` is in `pks` (and, given
    `among`, whose `value` is in it)."""
    rows = model.objects.filter(**{f"{key}__in": pks})
    if among is not None:
        rows = rows.filter(**{f"{value}__in": among})
    edges: dict[int, set[int]] = {}
    for owner, other in rows.values_list(key, value):
        edges.setdefault(owner, set()).add(other)
    return edges
