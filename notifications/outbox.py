"""Putting messages into the outbox. Rows are written in the caller's transaction; workers are
told about them only once that transaction commits, so a rolled-back change sends nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from identitystores.models import IdentityStore

from .models import NotificationSettings, OutgoingMessage


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
) -> OutgoingMessage:
    """An unsaved outbox row addressed from the store's From email address."""
    return OutgoingMessage(
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
    )


def enqueue(messages: Iterable[OutgoingMessage]) -> list[OutgoingMessage]:
    """Save the rows (one bulk insert) and hand their ids to the workers after commit."""
    rows = OutgoingMessage.objects.bulk_create(list(messages))
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: dispatch(ids))
    return rows


def dispatch(ids: list[int]) -> None:
    """Tell the workers about committed rows. Delivery (tasks.py) replaces this hook."""
