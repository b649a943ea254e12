"""Multi-row INSERTs and UPDATEs straight to the tables, for the first full import of a synced
store (LDAP and Entra ID alike).

At 100,000 objects and 2 million memberships, preparing model instances would cost more than
reading the directory, so the import writes tuples with `executemany`. The column values the
rows leave out still come from the model fields (defaults, `auto_now`, a template instance), so
a field added to a model later is filled as the ORM would fill it.
"""

from __future__ import annotations

import json

from django.db import connection as db
from django.db import models
from django.db.models.expressions import DatabaseDefault

BATCH = 5000


def insert(
    model: type[models.Model],
    rows: list[tuple],
    *,
    fields: list[str],
    template: models.Model | None = None,
) -> None:
    """INSERT `rows` (tuples of database values for `fields`)."""
    sql, tail = statement(model, fields, template)
    executemany(sql, [row + tail for row in rows] if tail else rows)


def statement(
    model: type[models.Model], fields: list[str], template: models.Model | None = None
) -> tuple[str, tuple]:
    """An INSERT of `fields` and of every other column, with the values the ORM would give
    those (default, auto_now, `template`'s value): the statement and those values, to append
    to each row."""
    names, tail = columns(model, fields, template)
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) VALUES ({marks})", tail


def columns(
    model: type[models.Model], fields: list[str], template: models.Model | None = None
) -> tuple[list[str], tuple]:
    """The quoted columns of `fields` then of every other column but the key, and the values
    of those others (what the ORM would write for `template`)."""
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
    return [db.ops.quote_name(f.column) for f in given + rest], tail


def insert_returning(
    model: type[models.Model],
    rows: list[tuple],
    *,
    fields: list[str],
    returning: str,
    template: models.Model | None = None,
) -> list[tuple]:
    """INSERT `rows` like `insert`, returning (`returning` column, primary key) per row: the
    new keys come back with the INSERT itself instead of from a second query per page.
    PostgreSQL takes each column as one array (`unnest`): a statement with thousands of
    placeholders costs the driver more to parse than the server to run."""
    if not rows:
        return []
    names, tail = columns(model, fields, template)
    into = f"INSERT INTO {model._meta.db_table} ({', '.join(names)})"
    back = f"RETURNING {db.ops.quote_name(returning)}, {db.ops.quote_name(model._meta.pk.column)}"
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            types = [model._meta.get_field(name).db_type(db) for name in fields]
            arrays = ", ".join(f"%s::{kind}[]" for kind in types)
            consts = "".join([", %s"] * len(tail))
            cursor.execute(
                f"{into} SELECT u.*{consts} FROM unnest({arrays}) AS u {back}",
                [*tail, *(list(column) for column in zip(*rows, strict=True))],
            )
            return cursor.fetchall()
        per = max(1, (db.features.max_query_params or len(rows) * len(names)) // len(names))
        marks = f"({', '.join(['%s'] * len(names))})"
        pairs: list[tuple] = []
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(
                f"{into} VALUES {', '.join([marks] * len(chunk))} {back}",
                [value for row in chunk for value in row + tail],
            )
            pairs += cursor.fetchall()
        return pairs


def insert_spread(
    model: type[models.Model],
    rows: list[tuple[tuple, list[int]]],
    *,
    fields: list[str],
    spread: str,
) -> None:
    """INSERT one row per value of each row's list: `rows` holds (values for `fields`, ids
    for the `spread` column). A group's 400 memberships then cost one statement whose list
    travels as one parameter (JSON for SQLite's json_each, an array for PostgreSQL's unnest):
    the per-row work runs inside the database, which releases the GIL while it runs, instead
    of in Python building and binding a tuple per row."""
    names, tail = columns(model, fields + [spread])
    spread_col = names.pop(len(fields))
    head = f"INSERT INTO {model._meta.db_table} ({', '.join(names)}, {spread_col}) SELECT "
    marks = ", ".join(["%s"] * len(names))
    if db.vendor == "postgresql":
        sql = f"{head}{marks}, unnest(%s::bigint[])"
        params = [values + tail + (ids,) for values, ids in rows if ids]
    else:
        sql = f"{head}{marks}, value FROM json_each(%s)"
        params = [values + tail + (json.dumps(ids),) for values, ids in rows if ids]
    executemany(sql, params)


def update(model: type[models.Model], column: str, rows: list[tuple[int, int]]) -> None:
    """Set the integer `column` per row: `rows` holds (value, id). PostgreSQL gets them as two
    arrays in one statement per batch (one UPDATE per row is one round trip per row there)."""
    table = model._meta.db_table
    if db.vendor != "postgresql":
        executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", rows)
        return
    with db.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            values, ids = zip(*rows[start : start + BATCH], strict=True)
            cursor.execute(
                f"UPDATE {table} SET {column} = v.value FROM unnest(%s::bigint[], %s::bigint[]) "
                f"AS v(value, id) WHERE {table}.id = v.id",
                [list(values), list(ids)],
            )


def executemany(sql: str, rows: list[tuple]) -> None:
    with db.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


class large_cache:
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
