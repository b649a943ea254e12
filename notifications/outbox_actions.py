"""The Outbox page's actions on rows already in the outbox: Send now, Delete and Restore.

Each changes only rows in a state the action makes sense for, records what it did in the store's
history, and hands rows that are due again to the workers after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from identitystores import audit
from identitystores.models import IdentityStore

from .models import OutgoingMessage
from .tasks import dispatch

Status = OutgoingMessage.Status
WAITING = {Status.QUEUED, Status.RETRYING}


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
