"""Claiming outbox rows: moving the due ones to "sending", so exactly one worker sends each.

A claim is one conditional UPDATE that re-checks "still due" on the row itself; its RETURNING
list says which rows were ours. Attempts are counted here, at the claim, so a message that keeps
killing its worker still reaches its last attempt. The claim starts a lease (lease.py) that the
worker extends while the batch sends.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.chunks import chunks

from ..models import OutgoingMessage
from . import lease
from .mime import ensure_message_id

Status = OutgoingMessage.Status
CLAIM_CHUNK = 500  # ids per UPDATE: well under every backend's parameter limit


def claim_due(ids: Sequence[int]) -> tuple[datetime, list[OutgoingMessage]]:
    """Move due rows among `ids` to "sending" and return them (only the ones this call moved)."""
    now = timezone.now()
    claimed: list[int] = []
    for chunk in chunks(ids, CLAIM_CHUNK):
        marks = ", ".join(["%s"] * len(chunk))
        claimed += _claim(f"{_qn('id')} IN ({marks})", list(chunk), now)
    return now, _rows(claimed)


def claim_more(stores: Collection[int], limit: int, now: datetime) -> list[OutgoingMessage]:
    """Up to `limit` other due rows of `stores`, claimed as of the same `now`.

    A burst of changes queues one task per hundred rows; a worker that takes the due rows of a
    store at once sends them over the same connections, one claim and one record for all, while
    the tasks of the rows it took find nothing left. Only for stores without sending limits
    (their lanes admit rows one by one).
    """
    if not stores or limit <= 0:
        return []
    table = _qn(OutgoingMessage._meta.db_table)
    marks = ", ".join(["%s"] * len(stores))
    pick = (
        f"{_qn('id')} IN (SELECT {_qn('id')} FROM {table} WHERE {_qn('store_id')} IN ({marks}) "
        f"AND {_DUE} ORDER BY {_qn('id')} LIMIT %s)"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    return _rows(_claim(pick, [*stores, Status.QUEUED, Status.RETRYING, stamp, limit], now))


def claim_limit() -> int:
    """How many rows one delivery may hold for stores without sending limits."""
    return settings.MAIL_CLAIM_LIMIT


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


# Due: queued or retrying, and not kept for later (a retry time, or a send lane that paces,
# defers or holds the store's mail). Parameters: the two statuses, then now.
_DUE = "status IN (%s, %s) AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"


def _claim(which: str, params: list, now: datetime) -> list[int]:
    """One `UPDATE … WHERE <which> AND <still due> RETURNING id` (PostgreSQL, SQLite ≥ 3.35).

    The condition is re-checked on the row itself, so of two concurrent claimers exactly one gets
    each row: PostgreSQL re-evaluates it after the other's commit, SQLite serialises writers.
    The statement's own RETURNING list is the only reliable way to know which rows were ours.
    """
    if not params:
        return []
    stamp = connection.ops.adapt_datetimefield_value(now)
    until = connection.ops.adapt_datetimefield_value(lease.lease_end(now))
    sql = (
        f"UPDATE {_qn(OutgoingMessage._meta.db_table)} "
        f"SET {_qn('status')} = %s, {_qn('claimed_at')} = %s, {_qn('last_attempt_at')} = %s, "
        f"{_qn('lease_until')} = %s, {_qn('attempts')} = {_qn('attempts')} + 1 "
        f"WHERE {which} AND {_DUE} RETURNING {_qn('id')}"
    )
    due = [Status.QUEUED, Status.RETRYING, stamp]
    with connection.cursor() as cursor:
        cursor.execute(sql, [Status.SENDING, stamp, stamp, until, *params, *due])
        return [pk for (pk,) in cursor.fetchall()]


# What sending never reads: the recipients' explanation and the template context (JSON, decoded
# per row for nothing).
UNREAD = ("why", "context")


def _rows(ids: list[int]) -> list[OutgoingMessage]:
    found = OutgoingMessage.objects.filter(pk__in=ids).defer(*UNREAD).order_by("pk")
    rows = list(found) if ids else []
    for row in rows:
        if not row.message_id:  # rows written without new_message(): one query each, once
            ensure_message_id(row)
    return rows
