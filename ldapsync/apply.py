"""Bringing our copy in line with what the directory says, one change service call per
difference, with the "directory-sync" route.

Identity is the directory's identifier (entryUUID / objectGUID), so a renamed or moved entry
updates its object; the DN is only kept to resolve references. Because sync compares with our
copy before changing anything, a change already applied (by an earlier pass, or by an Admin
Center write-back that went to the directory first) is found equal and notifies nobody again.
"""

from __future__ import annotations

import logging

from django.db import transaction

from core.chunks import chunks
from directory import changes, hooks
from directory.changes import ChangeError
from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .apply_links import SYNC_ACTOR, LinkApplier
from .importer import SOURCE
from .mapping import Record, dn_key
from .models import DirectoryConnection, EntryLink

log = logging.getLogger(__name__)
BATCH = 500


class Applier:
    """Pass 1 here (the objects, created, updated, renamed); pass 2 (references) in
    `apply_links`, once every object of the run exists, so a reference can point at any."""

    def __init__(self, store: IdentityStore, conn: DirectoryConnection) -> None:
        self.store = store
        self.conn = conn
        self.ids = dn_map(store)
        self.counts: dict[str, int] = dict.fromkeys(
            ("created", "updated", "renamed", "references", "rejected", "unresolved"), 0
        )

    def apply(self, records: list[Record]) -> dict[str, int]:
        """Each batch is one transaction whose events and history entries are inserted together
        at its end; a change refused inside it (ChangeError) rolls back only its own savepoint."""
        objects: dict[str, DirectoryObject] = {}
        with hooks.batch():
            for batch in chunks(records, BATCH):
                with transaction.atomic(), changes.records_in_bulk():
                    objects.update(self._objects(batch))
            links = LinkApplier(self.store, self.conn, self.ids, self.counts)
            for batch in chunks(records, BATCH):
                with transaction.atomic(), changes.records_in_bulk():
                    links.apply(batch, objects)
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


def dn_map(store: IdentityStore) -> dict[str, int]:
    """DN key → object id; a current DN wins over another object's previous one."""
    links = EntryLink.objects.filter(store=store)
    ids = dict(links.exclude(previous_dn_key="").values_list("previous_dn_key", "object_id"))
    ids.update(links.values_list("dn_key", "object_id"))
    return ids


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
