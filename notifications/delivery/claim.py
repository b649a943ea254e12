"""Claiming outbox rows: moving the due ones to "sending", so exactly one worker sends each.

A claim is one conditional UPDATE that re-checks "still due" on the row itself; its RETURNING
list says which rows were ours. Attempts are counted here, at the claim, so a message that keeps
killing its worker still reaches its last attempt. The claim starts a lease (lease.py) that the
worker extends while the batch sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

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
        claimed += _claim_chunk(chunk, now)
    rows = list(OutgoingMessage.objects.filter(pk__in=claimed).order_by("pk"))
    for row in rows:
        if not row.message_id:  # rows written without new_message(): one query each, once
            ensure_message_id(row)
    return now, rows


def _claim_chunk(ids: Sequence[int], now: datetime) -> list[int]:
    """One `UPDATE … WHERE <still due> RETURNING id` (PostgreSQL, SQLite ≥ 3.35).

    Due: queued or retrying, and not kept for later (a retry time, or a send lane that paces,
    defers or holds the store's mail).

    The condition is re-checked on the row itself, so of two concurrent claimers exactly one gets
    each row: PostgreSQL re-evaluates it after the other's commit, SQLite serialises writers.
    The statement's own RETURNING list is the only reliable way to know which rows were ours.
    """
    if not ids:
        return []
    qn = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"UPDATE {qn(OutgoingMessage._meta.db_table)} "
        f"SET {qn('status')} = %s, {qn('claimed_at')} = %s, {qn('last_attempt_at')} = %s, "
        f"{qn('lease_until')} = %s, "
        f"{qn('attempts')} = {qn('attempts')} + 1 "
        f"WHERE {qn('id')} IN ({', '.join(['%s'] * len(ids))}) "
        f"AND {qn('status')} IN (%s, %s) "
        f"AND ({qn('next_attempt_at')} IS NULL OR {qn('next_attempt_at')} <= %s) "
        f"RETURNING {qn('id')}"
    )
    until = connection.ops.adapt_datetimefield_value(lease.lease_end(now))
    params = [Status.SENDING, stamp, stamp, until, *ids, Status.QUEUED, Status.RETRYING, stamp]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]
