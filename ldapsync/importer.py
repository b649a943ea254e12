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

SOURCE = "ldap"
BATCH = 5000


@transaction.atomic
def bulk_import(store: IdentityStore, records: list[Record]) -> dict[str, int]:
    with _large_cache():
        _insert_objects(store, records)
        ids = dict(
            DirectoryObject.objects.filter(store=store, source=SOURCE).values_list(
                "external_id", "pk"
            )
        )
        by_dn = {dn_key(r.dn): ids[r.external_id] for r in records}
        _insert(
            EntryLink,
            ((ids[r.external_id], store.pk, r.dn, dn_key(r.dn)) for r in records),
            fields=["object", "store", "dn", "dn_key"],
        )
        counts = _insert_references(records, ids, by_dn)
    audit.record(
        store,
        "Directory sync",
        "directory.imported",
        [(name, "", str(count)) for name, count in counts.items()],
    )
    return counts


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


def _insert_references(
    records: list[Record], ids: dict[str, int], by_dn: dict[str, int]
) -> dict[str, int]:
    counts = {"users": 0, "contacts": 0, "groups": 0, "members": 0, "unresolved": 0}
    groups = {ids[r.external_id] for r in records if r.kind == DirectoryObject.Kind.GROUP}
    managers, extra_managers, owners, co_owners, members = [], [], [], [], []
    for record in records:
        pk = ids[record.external_id]
        counts[f"{record.kind}s"] += 1
        refs = resolve_references(by_dn, record, pk, counts)
        if refs["managers"]:
            managers.append((refs["managers"][0], pk))
            extra_managers += [(pk, m) for m in refs["managers"][1:]]
        if refs["owners"]:
            owners.append((refs["owners"][0], pk))
        co_owners += [(pk, o) for o in refs["co_owners"]]
        # Sorted within the group: the (group, member) unique index then grows in order.
        members += [(pk, m, m in groups) for m in sorted(refs["members"])]
    counts["members"] = len(members)
    _update(DirectoryObject, "primary_manager_id", managers)
    _update(DirectoryObject, "primary_owner_id", owners)
    _insert(AdditionalManager, extra_managers, fields=["user", "manager"])
    _insert(AdditionalOwner, co_owners, fields=["group", "owner"])
    _insert(GroupMembership, members, fields=["group", "member", "member_is_group"])
    return counts


def resolve_references(
    ids: dict[str, int], record: Record, self_pk: int, counts: dict[str, int]
) -> dict[str, list[int]]:
    """DN references as object ids, each once, in directory order; unknown DNs (outside the base
    or not synced) are counted and skipped."""
    resolved: dict[str, list[int]] = {}
    for name in ("managers", "owners", "co_owners", "members"):
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
