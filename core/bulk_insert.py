"""Many new rows of one model in a few multi-row `INSERT … RETURNING` statements.

`bulk_create` runs every value through its field's whole preparation chain and compiles the
statement value by value; on SQLite it also splits the rows into statements of 999 parameters
(33 rows of a 30-column table). For the outbox, written by every directory change, that was most
of the cost of a change. Here each column's preparation is chosen once per model: a string for
one of Django's own text fields and an integer for its integer fields go as they are; every other
value (dates, JSON, encrypted fields, anything unusual) goes through the field's own
`get_db_prep_save`, as the ORM would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

ROWS_PER_STATEMENT = 250  # × columns stays far under PostgreSQL's and SQLite's parameter limits
# Django's own field classes whose database value is the Python value: by class, never by
# internal type, so a subclass that prepares its values (an encrypted text field) keeps doing so.
PLAIN_TYPES: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.PositiveIntegerField: int,
    models.IntegerField: int,
    models.BooleanField: bool,
    models.ForeignKey: int,
}

Column = tuple[models.Field, Callable[[models.Model, BaseDatabaseWrapper], Any]]


def insert(objs: list[models.Model]) -> list[models.Model]:
    """Save unsaved instances of one model; each gets its primary key. Like `bulk_create`, no
    signals and no `save()`."""
    if not objs:
        return objs
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per use
    model = type(objs[0])
    columns = _columns(model, db.vendor)
    table = db.ops.quote_name(model._meta.db_table)
    names = ", ".join(db.ops.quote_name(field.column) for field, _ in columns)
    pk = db.ops.quote_name(model._meta.pk.column)
    row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with db.cursor() as cursor:
        for start in range(0, len(objs), ROWS_PER_STATEMENT):
            batch = objs[start : start + ROWS_PER_STATEMENT]
            params = [value(obj, db) for obj in batch for _, value in columns]
            marks = ", ".join([row_marks] * len(batch))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {marks} RETURNING {pk}", params)
            for obj, (key,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = key
                obj._state.adding = False
                obj._state.db = db.alias
    return objs


@cache
def _columns(model: type[models.Model], vendor: str) -> list[Column]:
    """Each column to write and how to get its database value from an instance (once per model
    and database backend)."""
    return [
        (field, _value_of(field)) for field in model._meta.concrete_fields if not field.primary_key
    ]


def _value_of(field: models.Field) -> Callable[[models.Model, BaseDatabaseWrapper], Any]:
    """A None, a str for a text column or an int for an integer one is its own database value."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj, db: field.get_db_prep_save(field.pre_save(obj, True), db)
    plain = PLAIN_TYPES.get(type(field))
    attname = field.attname

    def value(obj: models.Model, db: BaseDatabaseWrapper) -> Any:
        raw = getattr(obj, attname)
        if raw is None or type(raw) is plain:
            return raw
        return field.get_db_prep_save(raw, db)

    return value
