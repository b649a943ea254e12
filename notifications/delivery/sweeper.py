"""Finding outbox rows whose task was lost, so no message waits forever.

A task is lost when the broker was down at enqueue time, when a delayed retry task vanished
with its broker, or when the worker holding it died. The sweeper (a beat job, every minute)
looks only at the rows, never at the broker, and re-enqueues:
- queued or retrying rows due for longer than MAIL_LOST_AFTER_SECONDS;
- rows "sending" whose lease ran out (their worker died: a live worker extends the lease every
  quarter of MAIL_SENDING_STALE_SECONDS while its batch sends), which go back to retrying — or
  to dead when they had no attempt left. Held rows wait for their admin, not for the sweeper.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import OutgoingMessage
from .record import audit_dead, mark_dead

log = logging.getLogger(__name__)
Status = OutgoingMessage.Status
SWEEP_LIMIT = 10_000  # per run; the next run takes the rest
INTERRUPTED = "Delivery was interrupted (the worker stopped while sending)."


def sweep(now: datetime | None = None) -> list[int]:
    """Ids to enqueue again. Their due time moves to now, so the next run skips them a while."""
    now = now or timezone.now()
    released = release_stale(now)
    lost_before = now - timedelta(seconds=settings.MAIL_LOST_AFTER_SECONDS)
    waiting = OutgoingMessage.objects.filter(status__in=[Status.QUEUED, Status.RETRYING])
    lost = (
        waiting.alias(due=Coalesce("next_attempt_at", "created"))
        .filter(due__lt=lost_before)
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    ids = sorted(set(lost) | set(released))
    if ids:
        waiting.filter(pk__in=ids).update(next_attempt_at=now)
        log.info(
            "Sweeper: %d outbox rows enqueued again (%d whose worker stopped extending its lease)",
            len(ids),
            len(released),
        )
    return ids


def release_stale(now: datetime) -> list[int]:
    """Rows a dead worker held: back to retrying, or dead (and audited) without attempts left."""
    # The lease is extended while the batch still sends; rows claimed before leases existed
    # (lease_until empty) fall back to the claim time.
    expired = Q(lease_until__lt=now) | Q(
        lease_until__isnull=True,
        claimed_at__lt=now - timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS),
    )
    stale = OutgoingMessage.objects.filter(expired, status=Status.SENDING)
    exhausted = list(stale.filter(attempts__gte=settings.MAIL_MAX_ATTEMPTS).select_related("store"))
    if exhausted:
        reason = f"{INTERRUPTED} No attempts left."
        for row in exhausted:
            mark_dead(row, reason)
        with transaction.atomic():
            stale.bulk_update(exhausted, ["status", "last_error", "acting_credentials"])
            audit_dead(exhausted)
    released = list(stale.values_list("pk", flat=True))
    stale.filter(pk__in=released).update(
        status=Status.RETRYING, next_attempt_at=now, last_error=INTERRUPTED
    )
    return released


def purge_deleted(now: datetime | None = None) -> int:
    """Remove rows deleted on the Outbox page longer than OUTBOX_RESTORE_HOURS ago, and with
    them any sign-in credentials they still held."""
    now = now or timezone.now()
    before = now - timedelta(hours=settings.OUTBOX_RESTORE_HOURS)
    purged, _ = OutgoingMessage.objects.filter(
        status=Status.DELETED, deleted_at__lt=before
    ).delete()
    if purged:
        log.info("Sweeper: %d deleted outbox rows purged", purged)
    return purged
