"""Bringing our copy in line with what the directory says, one change service call per
difference, with the "directory-sync" route.

Identity is the directory's identifier (entryUUID / objectGUID), so a renamed or moved entry
updates its object; the DN is only kept to resolve references. Because sync compares with our
copy before changing anything, a change already applied (by an earlier pass, or by an Admin
Center write-back that went to the directory first) is found equal and notifies nobody again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import prefetch_related_objects

from directory import changes
from directory.changes import Actor, ChangeError
from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryObject,
    GroupMembership,
    Route,
)
from identitystores.models import IdentityStore
from notifications.emails import store_lookups_once

from .importer import SOURCE, resolve_references
from .mapping import Record, dn_key
from .models import DirectoryConnection, EntryLink

log = logging.getLogger(__name__)
SYNC_ACTOR = Actor(route=Route.DIRECTORY_SYNC)
BATCH = 500


class Applier:
    def __init__(self, store: IdentityStore, conn: DirectoryConnection) -> None:
        self.store = store
        self.conn = conn
        self.ids = dn_map(store)
        self.others: dict[int, DirectoryObject] = {}  # objects references point to, by id
        self.counts: dict[str, int] = dict.fromkeys(
            ("created", "updated", "renamed", "references", "rejected", "unresolved"), 0
        )

    def apply(self, records: list[Record]) -> dict[str, int]:
        """Each batch is one transaction whose events and history entries are inserted together
        at its end; a change refused inside it (ChangeError) rolls back only its own savepoint."""
        objects: dict[str, DirectoryObject] = {}
        with store_lookups_once():
            for batch in _batches(records):
                with transaction.atomic(), changes.records_in_bulk():
                    objects.update(self._objects(batch))
            for batch in _batches(records):
                with transaction.atomic(), changes.records_in_bulk():
                    self._references(batch, objects)
        return self.counts

    # --- pass 1: the objects themselves -------------------------------------------------------
    def _objects(self, batch: list[Record]) -> dict[str, DirectoryObject]:
        found = DirectoryObject.objects.select_related("ldap_entry").filter(
            store=self.store, external_id__in=[r.external_id for r in batch]
        )
        existing = {o.external_id: self._own(o) for o in found}
        done = {}
        updates = []
        for record in batch:
            obj = existing.get(record.external_id)
            if obj is not None:
                updates.append((obj, record))
                continue
            try:
                done[record.external_id] = self._create(record)
            except ChangeError as exc:
                self._reject(record, exc)
        refused = self._update_attributes(updates)
        for obj, record in updates:
            if record.external_id not in refused:
                self._relink(obj, record)
                done[record.external_id] = obj
        return done

    def _reject(self, record: Record, exc: ChangeError) -> None:
        self.counts["rejected"] += 1
        log.warning("sync of %s skipped %s: %s", self.store.pk, record.dn, exc.message)

    def _create(self, record: Record) -> DirectoryObject:
        values = _values(self.conn, record)
        obj = changes.create_object(
            self.store,
            SYNC_ACTOR,
            record.kind,
            external_id=record.external_id,
            source=SOURCE,
            **values,
        )
        EntryLink.objects.create(
            object=obj, store=self.store, dn=record.dn, dn_key=dn_key(record.dn)
        )
        self.ids[dn_key(record.dn)] = obj.pk
        self.counts["created"] += 1
        return obj

    def _update_attributes(self, updates: list[tuple[DirectoryObject, Record]]) -> set[str]:
        """Changed attributes of existing objects, in bulk; returns the refused ones' ids."""
        items = []
        for obj, record in updates:
            values = _values(self.conn, record)
            if any(getattr(obj, name) != value for name, value in values.items()):
                items.append((obj, values))
        result = changes.update_attributes_in_bulk(items, SYNC_ACTOR)
        self.counts["updated"] += len(result.updated)
        by_id = {obj.external_id: record for obj, record in updates}
        for obj, exc in result.refused:
            self._reject(by_id[obj.external_id], exc)
        return {obj.external_id for obj, _exc in result.refused}

    def _relink(self, obj: DirectoryObject, record: Record) -> None:
        """The object's DN as the directory has it now; a changed one is a rename or move."""
        link = getattr(obj, "ldap_entry", None)
        key = dn_key(record.dn)
        if link is None:
            EntryLink.objects.create(object=obj, store=self.store, dn=record.dn, dn_key=key)
        elif link.dn != record.dn:
            # The old DN stays resolvable: groups may still list it until the directory's refint
            # overlay has rewritten them (it does so in the background).
            link.previous_dn_key = link.dn_key
            link.dn, link.dn_key = record.dn, key
            link.save(update_fields=["dn", "dn_key", "previous_dn_key"])
            self.counts["renamed"] += 1
        self.ids[key] = obj.pk

    def _own(self, obj: DirectoryObject) -> DirectoryObject:
        """Objects are read by store, so they share its instance (one query saved per change)."""
        obj.store = self.store
        return obj

    def _get(self, pk: int | None) -> DirectoryObject | None:
        if pk is None:
            return None
        if pk not in self.others:
            self.others[pk] = self._own(DirectoryObject.objects.get(pk=pk))
        return self.others[pk]

    # --- pass 2: members, owners, managers -----------------------------------------------------
    def _references(self, batch: list[Record], objects: dict[str, DirectoryObject]) -> None:
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


def dn_map(store: IdentityStore) -> dict[str, int]:
    """DN key → object id; a current DN wins over another object's previous one."""
    links = EntryLink.objects.filter(store=store)
    ids = dict(links.exclude(previous_dn_key="").values_list("previous_dn_key", "object_id"))
    ids.update(links.values_list("dn_key", "object_id"))
    return ids


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


def _values(conn: DirectoryConnection, record: Record) -> dict:
    """The attributes the directory is the source of; the rest (language, password expiry
    date, security type) stay as the Admin Center set them."""
    values = {"name": record.name[:256], "email": record.email[:254]}
    if record.kind == DirectoryObject.Kind.USER:
        if conn.account_control_attribute:
            values["mail_enabled"] = record.mail_enabled
        if conn.password_last_set_attribute:
            values["password_last_set"] = record.password_last_set
    return values


def _batches(records: list[Record]) -> Iterable[list[Record]]:
    for start in range(0, len(records), BATCH):
        yield records[start : start + BATCH]
