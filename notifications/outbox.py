"""Putting messages into the outbox. Rows are written in the caller's transaction; workers are
told about them only once that transaction commits, so a rolled-back change sends nothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import bulk_insert
from identitystores import audit
from identitystores.models import IdentityStore

from .acting import destination_of
from .delivery import ensure_message_id
from .models import NotificationSettings, OutgoingMessage
from .tasks import dispatch

Status = OutgoingMessage.Status
WAITING = {Status.QUEUED, Status.RETRYING}

# Rows held by an open `rows_in_bulk` block; None outside one.
_held: ContextVar[list[OutgoingMessage] | None] = ContextVar("outbox_rows_in_bulk", default=None)


def new_message(
    store: IdentityStore,
    settings: NotificationSettings,
    *,
    subject: str,
    body_text: str,
    body_html: str = "",
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    kind: str = "change",
    triggered_by=None,
    acting_credentials: str = "",
    held_reason: str = "",
    why: dict | None = None,
    context: dict | None = None,
) -> OutgoingMessage:
    """An unsaved outbox row addressed from the store's From email address, recording the SMTP
    destination it is queued for; with `held_reason` it waits for the acting admin's answer.
    `why` is the compact record of why its recipients were chosen (`provenance.record`).

    The Message-ID is fixed now, so every attempt (and a duplicate after a worker crash) carries
    the same one and recipients' servers can tell them apart from new mail.
    """
    row = OutgoingMessage(
        status=Status.HELD if held_reason else Status.QUEUED,
        last_error=held_reason[:500],
        destination=destination_of(settings).key,
        store=store,
        kind=kind,
        from_email=settings.from_email,
        to="; ".join(to),
        cc="; ".join(cc),
        bcc="; ".join(bcc),
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        triggered_by=triggered_by,
        acting_credentials=acting_credentials,
        why=why or {},
        context=context or {},
    )
    ensure_message_id(row)
    return row


def enqueue(messages: Iterable[OutgoingMessage]) -> list[OutgoingMessage]:
    """Save the rows (one bulk insert) and hand their ids to the workers after commit. Inside a
    `rows_in_bulk` block the rows are held and written when the block ends."""
    held = _held.get()
    if held is not None:
        rows = list(messages)
        held += rows
        return rows
    return _write(list(messages))


@contextmanager
def rows_in_bulk() -> Iterator[None]:
    """Within the block, `enqueue` holds the rows and writes them all when the block ends (a few
    INSERTs and one hand-over to the workers instead of one per call). For callers that handle
    many items in one transaction (life-cycle chunks); use it inside that transaction. A block
    left by an exception writes nothing."""
    held: list[OutgoingMessage] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _write(held)


def _write(messages: list[OutgoingMessage]) -> list[OutgoingMessage]:
    rows = bulk_insert.insert(messages)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: dispatch(ids))
    return rows


def send_now(store: IdentityStore, actor, ids: Sequence[int]) -> int:
    """The Outbox page's Send: selected rows that are waiting or failed are due again now.

    A failed (dead) row gets one more attempt; if that fails it is dead again. Rows being sent
    or already sent are left alone. Recorded in the store's history.
    """
    again = [Status.QUEUED, Status.RETRYING, Status.DEAD]
    rows = list(store.outbox.filter(pk__in=ids, status__in=again).only("pk", "subject", "status"))
    if not rows:
        return 0
    picked = [row.pk for row in rows]
    with transaction.atomic():
        store.outbox.filter(pk__in=picked, status__in=again).update(
            status=Status.QUEUED, next_attempt_at=timezone.now()
        )
        changes = [(row.subject[:120], row.get_status_display(), "Queued") for row in rows]
        audit.record(store, actor, "outbox: send now", changes)
        transaction.on_commit(lambda: dispatch(picked))
    return len(rows)


def delete_messages(store: IdentityStore, actor, ids: Sequence[int]) -> int:
    """The Outbox page's Delete. Rows not being sent are only marked deleted, so Restore can
    bring them back for OUTBOX_RESTORE_HOURS; a row being sent is removed at once (it may still
    go out, and must not come back to be sent twice)."""
    rows = list(
        store.outbox.filter(pk__in=ids)
        .exclude(status=Status.DELETED)
        .only("pk", "subject", "status", "to")
    )
    if not rows:
        return 0
    with transaction.atomic():
        picked = store.outbox.filter(pk__in=[row.pk for row in rows])
        picked.filter(status=Status.SENDING).delete()
        picked.exclude(status__in=[Status.SENDING, Status.DELETED]).update(
            status_before_delete=F("status"), status=Status.DELETED, deleted_at=timezone.now()
        )
        changes = [
            (row.subject[:120], f"{row.get_status_display()}, to {row.to or 'Bcc recipients'}", "")
            for row in rows
        ]
        audit.record(store, actor, "outbox: delete", changes)
    return len(rows)


def restore_messages(store: IdentityStore, actor, ids: Sequence[int]) -> int:
    """Undo Delete for rows deleted within OUTBOX_RESTORE_HOURS: each gets its old status back;
    rows that were waiting are due again now and handed to the workers."""
    rows = list(restorable(store).filter(pk__in=ids).only("pk", "subject", "status_before_delete"))
    if not rows:
        return 0
    with transaction.atomic():
        for before in {row.status_before_delete for row in rows}:
            again = store.outbox.filter(
                pk__in=[row.pk for row in rows if row.status_before_delete == before]
            )
            again.update(status=before, deleted_at=None, status_before_delete="")
        waiting = [row.pk for row in rows if row.status_before_delete in WAITING]
        store.outbox.filter(pk__in=waiting).update(next_attempt_at=timezone.now())
        labels = dict(Status.choices)
        changes = [
            (row.subject[:120], "Deleted", labels.get(row.status_before_delete, "")) for row in rows
        ]
        audit.record(store, actor, "outbox: restore", changes)
        if waiting:
            transaction.on_commit(lambda: dispatch(waiting))
    return len(rows)


def restorable(store: IdentityStore):
    """The store's deleted rows that Restore can still bring back."""
    since = timezone.now() - timedelta(hours=django_settings.OUTBOX_RESTORE_HOURS)
    return store.outbox.filter(status=Status.DELETED, deleted_at__gte=since)
