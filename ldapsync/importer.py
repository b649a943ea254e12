"""The first full sync of a store: a bulk import, in one transaction, that notifies nobody.

Before the first sync the store's copy of the directory is empty, so every object would be
"created" and every membership "added": hundreds of thousands of notifications describing no
change anyone made. The import therefore writes rows in bulk and records one history entry with
the counts; from then on every difference sync finds goes through `identitystores.changes` with
the "directory-sync" route and notifies per the store's rules.

Rows are written with plain multi-row INSERTs (`executemany`), not model instances: at 100,000
objects and 2 million memberships, preparing model instances would cost more than reading the
directory. Column values still come from the model fields (defaults, `auto_now`, conversions),
so a field added to a model later is filled as the ORM would fill it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection as db
from django.db import models, transaction
from django.db.models.expressions import DatabaseDefault

from identitystores import audit
from identitystores.directory import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryObject,
    GroupMembership,
)
from identitystores.models import IdentityStore

from .mapping import Record, dn_key
from .models import EntryLink
from .reader import highest

SOURCE = "ldap"
BATCH = 5000


@transaction.atomic
def bulk_import(store: IdentityStore, pages: Iterable[list[Record]]) -> tuple[dict[str, int], str]:
    """Import every page (users and contacts first, then groups, as the reader yields them);
    returns the counts and the highest change value seen."""
    state = _Import(store)
    with _large_cache():
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
    """Writes each page as it arrives. Memberships of a group page go in at once (every user is
    known by then); references to groups of later pages, owners and managers wait for the end."""

    def __init__(self, store: IdentityStore) -> None:
        self.store = store
        self.by_dn: dict[str, int] = {}
        self.groups: set[int] = set()
        self.managers: list[tuple[int, Record]] = []
        self.owners: list[tuple[int, Record]] = []
        self.pending: list[tuple[int, set[int], list[str]]] = []
        self.counts = dict.fromkeys(("users", "contacts", "groups", "members", "unresolved"), 0)
        self.highest = ""

    def add(self, records: list[Record]) -> None:
        if not records:
            return
        if records[0].kind != DirectoryObject.Kind.USER and self.managers:
            self._write_managers()  # every user is in: write them while the groups are read
        ids = self._insert(records)
        self.highest = highest([self.highest, *(r.change for r in records)])
        members: list[tuple[int, int]] = []
        for record in records:
            pk = ids[record.external_id]
            self.counts[f"{record.kind}s"] += 1
            if record.kind == DirectoryObject.Kind.USER:
                self.managers.append((pk, record))
            elif record.kind == DirectoryObject.Kind.GROUP:
                self.owners.append((pk, record))
                members += self._members(pk, record.members)
        self._write_members(members)

    def _insert(self, records: list[Record]) -> dict[str, int]:
        _insert_objects(self.store, records)
        found = DirectoryObject.objects.filter(
            store=self.store, external_id__in=[r.external_id for r in records]
        )
        ids = dict(found.values_list("external_id", "pk"))
        links = [(ids[r.external_id], self.store.pk, r.dn, dn_key(r.dn)) for r in records]
        _insert(EntryLink, links, fields=["object", "store", "dn", "dn_key"])
        for pk, _store, _dn, key in links:
            self.by_dn[key] = pk
        self.groups.update(ids[r.external_id] for r in records if r.kind == "group")
        return ids

    def _members(self, group: int, keys: list[str]) -> list[tuple[int, int]]:
        """Pairs to insert now (sorted: the unique index then grows in order); DNs not known
        yet (groups of later pages) wait for `finish`."""
        found: dict[int, None] = {}
        missing = []
        for key in keys:
            pk = self.by_dn.get(key)
            if pk is None:
                missing.append(key)
            elif pk != group:
                found[pk] = None
        if missing:
            self.pending.append((group, set(found), missing))
        return [(group, pk) for pk in sorted(found)]

    def _write_members(self, pairs: list[tuple[int, int]]) -> None:
        self.counts["members"] += len(pairs)
        rows = ((g, m, m in self.groups) for g, m in pairs)
        _insert(GroupMembership, rows, fields=["group", "member", "member_is_group"])

    def finish(self) -> None:
        late = []
        for group, done, keys in self.pending:
            for key in keys:
                pk = self.by_dn.get(key)
                if pk is None:
                    self.counts["unresolved"] += 1
                elif pk != group and pk not in done:
                    done.add(pk)
                    late.append((group, pk))
        self._write_members(late)
        self._write_managers()
        self._write_owners()

    def _write_managers(self) -> None:
        managers, extra_managers = [], []
        for pk, record in self.managers:
            refs = resolve_references(self.by_dn, record, pk, self.counts, ("managers",))
            if refs["managers"]:
                managers.append((refs["managers"][0], pk))
                extra_managers += [(pk, m) for m in refs["managers"][1:]]
        _update(DirectoryObject, "primary_manager_id", managers)
        _insert(AdditionalManager, extra_managers, fields=["user", "manager"])
        self.managers = []

    def _write_owners(self) -> None:
        owners, co_owners = [], []
        for pk, record in self.owners:
            refs = resolve_references(self.by_dn, record, pk, self.counts, ("owners", "co_owners"))
            if refs["owners"]:
                owners.append((refs["owners"][0], pk))
            co_owners += [(pk, o) for o in refs["co_owners"]]
        _update(DirectoryObject, "primary_owner_id", owners)
        _insert(AdditionalOwner, co_owners, fields=["group", "owner"])


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
    rows = (
        (
            r.kind,
            r.name[:256],
            r.email[:254],
            r.mail_enabled,
            r.password_last_set,
            private if r.kind == group else "",
            r.external_id,
        )
        for r in records
    )
    template = DirectoryObject(store=store, source=SOURCE)
    _insert(DirectoryObject, rows, fields=OBJECT_FIELDS, template=template, convert=True)


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


def _insert(
    model: type[models.Model],
    rows: Iterable[tuple],
    *,
    fields: list[str],
    template: models.Model | None = None,
    convert: bool = False,
) -> None:
    """INSERT `rows` (tuples of values for `fields`); every other column gets the value the ORM
    would give it (default, auto_now, `template`'s value). `convert` passes each value through
    its field's conversion (dates, ...); ids and booleans need none."""
    template = template or model()
    given = [model._meta.get_field(name) for name in fields]
    rest = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f not in given
        and not isinstance(f.pre_save(template, True), DatabaseDefault)
    ]
    tail = tuple(f.get_db_prep_save(f.pre_save(template, True), db) for f in rest)
    names = ", ".join(db.ops.quote_name(f.column) for f in given + rest)
    marks = ", ".join(["%s"] * (len(given) + len(rest)))
    sql = f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})"
    if convert:
        rows = (
            tuple(f.get_db_prep_save(v, db) for f, v in zip(given, r, strict=True)) for r in rows
        )
    _executemany(sql, (tuple(r) + tail for r in rows))


def _update(model, column: str, rows) -> None:
    table = model._meta.db_table
    _executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", rows)


def _executemany(sql: str, rows) -> None:
    batch: list[tuple] = []
    with db.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


class _large_cache:
    """SQLite keeps only ~2 MB of pages by default; index inserts for millions of rows then
    re-read the same pages from disk. Raise it for the import only."""

    def __enter__(self) -> None:
        self.old = None
        if db.vendor == "sqlite":
            with db.cursor() as cursor:
                self.old = cursor.execute("PRAGMA cache_size").fetchone()[0]
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            with db.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self.old)}")
