"""The rows of the chunk a job is handling, read in one query instead of one query per item.

A run handles a phase's due ids in chunks (`runs`); while a chunk is open, the first claim of a
row of a model reads every row of the chunk of that model (with the relations the handler needs)
in one query, and the next claims take their row from there. A row is still only handled after
its own conditional UPDATE won the claim (`claims.claim`), so a row another run changed in the
meantime is never acted on: its claim fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db.models import Model


@dataclass
class _Chunk:
    ids: frozenset[int]
    rows: dict[tuple[type[Model], tuple[str, ...]], dict[int, Model]] = field(default_factory=dict)


_chunk: ContextVar[_Chunk | None] = ContextVar("lifecycle_chunk", default=None)


@contextmanager
def chunk(ids: list[int]) -> Iterator[None]:
    """Within the block, `row` reads the rows of `ids` together."""
    token = _chunk.set(_Chunk(frozenset(ids)))
    try:
        yield
    finally:
        _chunk.reset(token)


def row(model: type[Model], pk: int, select: tuple[str, ...]) -> Model:
    """Row `pk` of `model` with `select` related rows: from the open chunk's rows (read on first
    use), or by itself outside a chunk or for an id not in it."""
    current = _chunk.get()
    if current is None or pk not in current.ids:
        return model.objects.select_related(*select).get(pk=pk)
    key = (model, select)
    if key not in current.rows:
        current.rows[key] = model.objects.select_related(*select).in_bulk(sorted(current.ids))
    return current.rows[key][pk]
