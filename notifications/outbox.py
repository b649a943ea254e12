"""Putting messages into the outbox. Rows are written in the caller's transaction; workers are
told about them only once that transaction commits, so a rolled-back change sends nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice

from django.conf import settings as django_settings
from django.db import transaction
from kombu.exceptions import OperationalError

from identitystores.models import IdentityStore

from .mime import ensure_message_id
from .models import NotificationSettings, OutgoingMessage

log = logging.getLogger(__name__)


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
    """An unsaved outbox row addressed from the store's From email address.

    The Message-ID is fixed now, so every attempt (and a duplicate after a worker crash) carries
    the same one and recipients' servers can tell them apart from new mail.
    """
    row = OutgoingMessage(
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
    ensure_message_id(row)
    return row


def enqueue(messages: Iterable[OutgoingMessage]) -> list[OutgoingMessage]:
    """Save the rows (one bulk insert) and hand their ids to the workers after commit."""
    rows = OutgoingMessage.objects.bulk_create(list(messages))
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: dispatch(ids))
    return rows


def dispatch(ids: Sequence[int], *, eta: datetime | None = None) -> bool:
    """Hand committed row ids to the `mail` queue, MAIL_TASK_BATCH_SIZE ids per task.

    Returns False when the broker is unreachable: the rows stay in the outbox and the sweeper
    (notifications.sweeper) enqueues them once it is back, so the caller's change still stands.
    """
    from .tasks import deliver  # tasks imports this module (dispatch of retries)

    try:
        for chunk in chunks(ids, django_settings.MAIL_TASK_BATCH_SIZE):
            deliver.apply_async((chunk,), eta=eta)
    except OperationalError as exc:
        log.warning("Broker unavailable (%s); %d outbox rows wait for the sweeper", exc, len(ids))
        return False
    return True


def chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    """Consecutive lists of at most `size` ids."""
    it = iter(ids)
    while chunk := list(islice(it, size)):
        yield chunk
