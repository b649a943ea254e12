"""The first full sync of a store: a bulk import, in one transaction, that notifies nobody.

Before the first sync the store's copy of the directory is empty, so every object would be
"created" and every membership "added": hundreds of thousands of notifications describing no
change anyone made. The import therefore writes rows in bulk and records one history entry with
the counts; from then on every difference sync finds goes through `identitystores.changes` with
the "directory-sync" route and notifies per the store's rules.
"""

from __future__ import annotations

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

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


def _object(store: IdentityStore, record: Record) -> DirectoryObject:
    return DirectoryObject(
        store=store,
        kind=record.kind,
        name=record.name[:256],
        email=record.email[:254],
        mail_enabled=record.mail_enabled,
        password_last_set=record.password_last_set,
        security_type=DirectoryObject.SecurityType.PRIVATE if record.kind == "group" else "",
        source=SOURCE,
        external_id=record.external_id,
    )


@transaction.atomic
def bulk_import(store: IdentityStore, records: list[Record]) -> dict[str, int]:
    objects = DirectoryObject.objects.bulk_create(
        (_object(store, r) for r in records), batch_size=BATCH
    )
    ids = {dn_key(r.dn): o.pk for r, o in zip(records, objects, strict=True)}
    is_group = {o.pk for o in objects if o.kind == DirectoryObject.Kind.GROUP}
    _insert(
        EntryLink,
        ["object_id", "store_id", "dn", "dn_key"],
        ((o.pk, store.pk, r.dn, dn_key(r.dn)) for r, o in zip(records, objects, strict=True)),
    )
    now = timezone.now()
    counts = {"users": 0, "contacts": 0, "groups": 0, "members": 0, "unresolved": 0}
    managers, additional_managers, owners, co_owners, members = [], [], [], [], []
    for record, obj in zip(records, objects, strict=True):
        counts[f"{record.kind}s"] += 1
        refs = resolve_references(ids, record, obj.pk, counts)
        if refs["managers"]:
            managers.append((refs["managers"][0], obj.pk))
            additional_managers += [(obj.pk, m) for m in refs["managers"][1:]]
        if refs["owners"]:
            owners.append((refs["owners"][0], obj.pk))
        co_owners += [(obj.pk, o, False) for o in refs["co_owners"]]
        members += [(obj.pk, m, m in is_group, now) for m in refs["members"]]
    counts["members"] = len(members)
    _update(DirectoryObject, "primary_manager_id", managers)
    _update(DirectoryObject, "primary_owner_id", owners)
    _insert(AdditionalManager, ["user_id", "manager_id"], additional_managers)
    _insert(AdditionalOwner, ["group_id", "owner_id", "dont_notify"], co_owners)
    _insert(GroupMembership, ["group_id", "member_id", "member_is_group", "created"], members)
    audit.record(
        store,
        "Directory sync",
        "directory.imported",
        [(name, "", str(count)) for name, count in counts.items()],
    )
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


def _insert(model, columns: list[str], rows) -> None:
    """Plain multi-row INSERTs: millions of membership rows through model instances would cost
    more than reading them from the directory."""
    table = model._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    _executemany(sql, rows)


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
