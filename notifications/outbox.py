"""Putting messages into the outbox. Rows are written in the caller's transaction; workers are
told about them only once that transaction commits, so a rolled-back change sends nothing.
What the Outbox page does to rows already there (Send, Delete, Restore) is in
`outbox_actions.py`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from core import bulk_insert
from identitystores.models import IdentityStore

from .acting import destination_of
from .delivery import ensure_message_id
from .models import NotificationSettings, OutgoingMessage
from .tasks import dispatch

Status = OutgoingMessage.Status

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
