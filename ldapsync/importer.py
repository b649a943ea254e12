"""The first full sync of a store: a bulk import, in one transaction, that notifies nobody.

Before the first sync the store's copy of the directory is empty, so every object would be
"created" and every membership "added": hundreds of thousands of notifications describing no
change anyone made. The import therefore writes rows in bulk and records one history entry with
the counts; from then on every difference sync finds goes through `directory.changes` with
the "directory-sync" route and notifies per the store's rules.

Rows are written with plain multi-row INSERTs (`directory.bulk_sql`), not model instances: at
100,000 objects and 2 million memberships, preparing model instances would cost more than reading
the directory. Column values still come from the model fields (defaults, `auto_now`, conversions),
so a field added to a model later is filled as the ORM would fill it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from django.db import connection as db
from django.db import transaction

from directory.bulk_sql import insert, insert_spread, large_cache, update
from directory.models import AdditionalManager, AdditionalOwner, DirectoryObject, GroupMembership
from identitystores import audit
from identitystores.models import IdentityStore

from .mapping import Record, dn_key
from .models import EntryLink
from .reader import highest

SOURCE = "ldap"


@transaction.atomic
def bulk_import(store: IdentityStore, pages: Iterable[list[Record]]) -> tuple[dict[str, int], str]:
    """Import every page, users, contacts and groups in any order; returns the counts and the
    highest change value seen."""
    state = _Import(store)
    with large_cache():
        for page in pages:
            state.add(page)
        state.finish()
    audit.record(
        store,
        "Directory sync",
        "directory.imported",
        [(name, "", str(count)) for name, count in state.counts.items()],
    )
    return state.counts, state.highest


class _Import:
    """Writes each page as it arrives, in whatever order the kinds come. A group's members that
    are already in go in with the group; the others wait, by DN, for their entry and go in with
    it. So membership rows are written while the rest is still being read, whichever finishes
    first. Owners and managers wait for the end (an UPDATE of rows already written)."""

    def __init__(self, store: IdentityStore) -> None:
        self.store = store
        self.by_dn: dict[str, int] = {}
        self.groups: set[int] = set()
        self.waiting: dict[str, list[int]] = {}  # member DN not seen yet -> its groups
        self.managers: list[tuple[int, Record]] = []
        self.owners: list[tuple[int, Record]] = []
        self.counts = dict.fromkeys(("users", "contacts", "groups", "members", "unresolved"), 0)
        self.highest = ""

    def add(self, records: list[Record]) -> None:
        if not records:
            return
        links = self._insert(records)
        self.highest = highest([self.highest, *(r.change for r in records)])
        rows: list[tuple[tuple, list[int]]] = []
        for record, (pk, key) in zip(records, links, strict=True):
            self.counts[f"{record.kind}s"] += 1
            if record.kind == DirectoryObject.Kind.USER:
                self.managers.append((pk, record))
            elif record.kind == DirectoryObject.Kind.GROUP:
                rows += self._members(pk, record.members)
                # Kept for its owners until the end: without its members (most of the memory).
                self.owners.append((pk, replace(record, members=[])))
            groups = self.waiting.pop(key, None)
            if groups:
                rows += self._memberships_of(pk, groups)
        self._write_members(rows)

    def _insert(self, records: list[Record]) -> list[tuple[int, str]]:
        """The objects and their links; returns (id, DN key) per record."""
        _insert_objects(self.store, records)
        found = DirectoryObject.objects.filter(
            store=self.store, external_id__in=[r.external_id for r in records]
        )
        ids = dict(found.values_list("external_id", "pk"))
        links = [(ids[r.external_id], self.store.pk, r.dn, dn_key(r.dn)) for r in records]
        insert(EntryLink, links, fields=["object", "store", "dn", "dn_key"])
        for pk, _store, _dn, key in links:
            self.by_dn[key] = pk
        self.groups.update(ids[r.external_id] for r in records if r.kind == "group")
        return [(pk, key) for pk, _store, _dn, key in links]

    def _members(self, group: int, keys: list[str]) -> list[tuple[tuple, list[int]]]:
        """The members already in, users and groups apart (each sorted: the unique index then
        grows in order); the others wait in `waiting`. Two million values go through here: the
        loops are the C ones of `map`, `set` and `sorted`."""
        pks = list(map(self.by_dn.get, keys))
        found = set(pks)
        if None in found:
            found.discard(None)
            missing = dict.fromkeys(k for k, pk in zip(keys, pks, strict=True) if pk is None)
            for key in missing:
                self.waiting.setdefault(key, []).append(group)
        found.discard(group)
        nested = found & self.groups
        return [((group, False), sorted(found - nested)), ((group, True), sorted(nested))]

    def _memberships_of(self, member: int, groups: list[int]) -> list[tuple[tuple, list[int]]]:
        """Rows for a member whose groups came before it."""
        is_group = member in self.groups
        return [((group, is_group), [member]) for group in groups if group != member]

    def _write_members(self, rows: list[tuple[tuple, list[int]]]) -> None:
        """One statement per group and kind of member (`bulk_sql.insert_spread`)."""
        self.counts["members"] += sum(len(ids) for _, ids in rows)
        insert_spread(GroupMembership, rows, fields=["group", "member_is_group"], spread="member")

    def finish(self) -> None:
        """Members never seen are outside the base or not synced: counted, not written."""
        self.counts["unresolved"] += sum(map(len, self.waiting.values()))
        self._write_managers()
        self._write_owners()

    def _write_managers(self) -> None:
        managers, extra_managers = [], []
        for pk, record in self.managers:
            refs = resolve_references(self.by_dn, record, pk, self.counts, ("managers",))
            if refs["managers"]:
                managers.append((refs["managers"][0], pk))
                extra_managers += [(pk, m) for m in refs["managers"][1:]]
        update(DirectoryObject, "primary_manager_id", managers)
        insert(AdditionalManager, extra_managers, fields=["user", "manager"])
        self.managers = []

    def _write_owners(self) -> None:
        owners, co_owners = [], []
        for pk, record in self.owners:
            refs = resolve_references(self.by_dn, record, pk, self.counts, ("owners", "co_owners"))
            if refs["owners"]:
                owners.append((refs["owners"][0], pk))
            co_owners += [(pk, o) for o in refs["co_owners"]]
        update(DirectoryObject, "primary_owner_id", owners)
        insert(AdditionalOwner, co_owners, fields=["group", "owner"])


OBJECT_FIELDS = [
    "kind",
    "name",
    "email",
    "mail_enabled",
    "password_last_set",
    "security_type",
    "external_id",
]


def _insert_objects(store: IdentityStore, records: list[Record]) -> None:
    group = DirectoryObject.Kind.GROUP
    private = DirectoryObject.SecurityType.PRIVATE
    when = DirectoryObject._meta.get_field("password_last_set")
    rows = [
        (
            r.kind,
            r.name[:256],
            r.email[:254],
            r.mail_enabled,
            when.get_db_prep_save(r.password_last_set, db) if r.password_last_set else None,
            private if r.kind == group else "",
            r.external_id,
        )
        for r in records
    ]
    template = DirectoryObject(store=store, source=SOURCE)
    insert(DirectoryObject, rows, fields=OBJECT_FIELDS, template=template)


REFERENCES = ("managers", "owners", "co_owners", "members")


def resolve_references(
    ids: dict[str, int],
    record: Record,
    self_pk: int,
    counts: dict[str, int],
    names: tuple[str, ...] = REFERENCES,
) -> dict[str, list[int]]:
    """DN references as object ids, each once, in directory order; unknown DNs (outside the base
    or not synced) are counted and skipped."""
    resolved: dict[str, list[int]] = dict.fromkeys(REFERENCES, [])
    for name in names:
        out: dict[int, None] = {}
        for key in getattr(record, name):
            pk = ids.get(key)
            if pk is None:
                counts["unresolved"] += 1
            elif pk != self_pk:
                out[pk] = None
        resolved[name] = list(out)
    if resolved["owners"]:
        primary = resolved["owners"][0]
        resolved["co_owners"] = [o for o in resolved["co_owners"] if o != primary]
    return resolved
