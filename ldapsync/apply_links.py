"""The second pass of a sync: members, owners and managers, as change service calls.

Apart from the objects' own pass (`apply`) because references are only resolved once every
object of the run exists, and because this pass is the one that must read in bulk: a batch's
current edges in three queries, and every object a change names in one.
"""

from __future__ import annotations

import logging

from django.db.models import prefetch_related_objects

from directory import changes
from directory.changes import ChangeError
from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryObject,
    GroupMembership,
)
from directory.synced import SYNC_ACTOR
from identitystores.models import IdentityStore

from .importer import resolve_references
from .mapping import Record
from .models import DirectoryConnection

log = logging.getLogger("ldapsync.apply")  # one logger for both passes of a sync


class LinkApplier:
    """Brings a batch's references in line; `ids` (DN key → id) and `counts` are the run's."""

    def __init__(
        self,
        store: IdentityStore,
        conn: DirectoryConnection,
        ids: dict[str, int],
        counts: dict[str, int],
    ) -> None:
        self.store = store
        self.conn = conn
        self.ids = ids
        self.counts = counts
        self.others: dict[int, DirectoryObject] = {}  # objects references point to, by id

    def apply(self, batch: list[Record], objects: dict[str, DirectoryObject]) -> None:
        present = [(r, objects[r.external_id]) for r in batch if r.external_id in objects]
        state = _State.load([obj.pk for _, obj in present])
        plans = [
            (record, obj, resolve_references(self.ids, record, obj.pk, self.counts))
            for record, obj in present
        ]
        self._prefetch(plans, state)
        for record, obj, refs in plans:
            try:
                if record.kind == DirectoryObject.Kind.USER:
                    self._managers(obj, refs["managers"], state)
                elif record.kind == DirectoryObject.Kind.GROUP:
                    self._owners(obj, refs["owners"], refs["co_owners"], state)
                    self._members(obj, refs["members"], state)
            except ChangeError as exc:
                self.counts["rejected"] += 1
                log.warning(
                    "sync of %s skipped a reference of %s: %s", self.store.pk, record.dn, exc
                )

    def _prefetch(self, plans: list[tuple[Record, DirectoryObject, dict]], state: _State) -> None:
        """Read every object that a reference change of the batch names, and the primary
        managers and owners being replaced, in one query each instead of one per change."""
        needed: set[int | None] = set()
        replaced: dict[str, list[DirectoryObject]] = {"primary_manager": [], "primary_owner": []}
        for record, obj, refs in plans:
            if record.kind == DirectoryObject.Kind.USER:
                wanted, current = refs["managers"], obj.primary_manager_id
                needed |= set(wanted[1:]) ^ state.additional_managers.get(obj.pk, set())
                field = "primary_manager"
            elif record.kind == DirectoryObject.Kind.GROUP:
                wanted, current = refs["owners"], obj.primary_owner_id
                needed |= set(refs["co_owners"]) ^ state.additional_owners.get(obj.pk, set())
                needed |= set(refs["members"]) ^ state.members.get(obj.pk, set())
                field = "primary_owner"
            else:
                continue
            primary = wanted[0] if wanted else None
            if current != primary:
                needed.add(primary)
                replaced[field].append(obj)
        needed.discard(None)
        found = DirectoryObject.objects.in_bulk(needed) if needed else {}
        self.others = {pk: self._own(o) for pk, o in found.items()}
        for field, objs in replaced.items():
            prefetch_related_objects(objs, field)

    def _managers(self, user: DirectoryObject, wanted: list[int], state: _State) -> None:
        primary = wanted[0] if wanted else None
        if user.primary_manager_id != primary:
            changes.set_primary_manager(user, self._get(primary), SYNC_ACTOR)
            self.counts["references"] += 1
        if not self.conn.additional_manager_attribute:
            return  # kept in the Admin Center only: the directory has no attribute for them
        current = state.additional_managers.get(user.pk, set())
        desired = set(wanted[1:])
        for pk in current - desired:
            changes.remove_additional_manager(user, self._get(pk), SYNC_ACTOR)
        for pk in [p for p in wanted[1:] if p not in current]:
            changes.add_additional_manager(user, self._get(pk), SYNC_ACTOR)
        self.counts["references"] += len(current ^ desired)

    def _owners(
        self, group: DirectoryObject, owners: list[int], co_owners: list[int], state: _State
    ) -> None:
        primary = owners[0] if owners else None
        if group.primary_owner_id != primary:
            changes.set_primary_owner(group, self._get(primary), SYNC_ACTOR)
            self.counts["references"] += 1
        if not self.conn.additional_owner_attribute:
            return
        current = state.additional_owners.get(group.pk, set())
        desired = set(co_owners)
        for pk in current - desired:
            changes.remove_additional_owner(group, self._get(pk), SYNC_ACTOR)
        for pk in [p for p in co_owners if p not in current]:
            changes.add_additional_owner(group, self._get(pk), SYNC_ACTOR)
        self.counts["references"] += len(current ^ desired)

    def _members(self, group: DirectoryObject, wanted: list[int], state: _State) -> None:
        current = state.members.get(group.pk, set())
        desired = set(wanted)
        removed, added = current - desired, [p for p in wanted if p not in current]
        for pk in removed:
            changes.remove_member(group, self._get(pk), SYNC_ACTOR)
        for pk in added:
            changes.add_member(group, self._get(pk), SYNC_ACTOR)
        self.counts["references"] += len(removed) + len(added)

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


class _State:
    """Current edges of a batch of objects, loaded in three queries."""

    def __init__(self) -> None:
        self.members: dict[int, set[int]] = {}
        self.additional_owners: dict[int, set[int]] = {}
        self.additional_managers: dict[int, set[int]] = {}

    @classmethod
    def load(cls, pks: list[int]) -> _State:
        state = cls()
        sources = (
            (state.members, GroupMembership, "group_id", "member_id"),
            (state.additional_owners, AdditionalOwner, "group_id", "owner_id"),
            (state.additional_managers, AdditionalManager, "user_id", "manager_id"),
        )
        for target, model, key, value in sources:
            rows = model.objects.filter(**{f"{key}__in": pks}).values_list(key, value)
            for owner_pk, other_pk in rows:
                target.setdefault(owner_pk, set()).add(other_pk)
        return state
