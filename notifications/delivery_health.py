"""Which stores' delivery is failing, for the flag on the store list, the Notifications page
and the Outbox.

A store is failing when, within the last DELIVERY_FAILING_HOURS, a message of it failed for
good (dead) or a message has been retried MAIL_FAILING_ATTEMPTS times or more and is still
waiting: one bad address makes a dead row too, so the flag says how many and links the Outbox
rather than judging the server. The question is asked in one query for any number of stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from identitystores.models import IdentityStore

from .models import OutgoingMessage

Status = OutgoingMessage.Status


@dataclass(frozen=True)
class Failing:
    dead: int
    retrying: int

    def __str__(self) -> str:
        parts = []
        if self.dead:
            parts.append(f"{self.dead} failed")
        if self.retrying:
            parts.append(f"{self.retrying} retried {settings.MAIL_FAILING_ATTEMPTS}+ times")
        hours = settings.DELIVERY_FAILING_HOURS
        return f"Delivery is failing: {' and '.join(parts)} in the last {hours} hours."


def failing_stores(store_ids: Iterable[int]) -> dict[int, Failing]:
    """The failing stores among `store_ids`, each with its counts."""
    since = timezone.now() - timedelta(hours=settings.DELIVERY_FAILING_HOURS)
    recent = Q(last_attempt_at__gte=since) | Q(last_attempt_at__isnull=True, created__gte=since)
    dead = Q(status=Status.DEAD)
    stuck = Q(status=Status.RETRYING, attempts__gte=settings.MAIL_FAILING_ATTEMPTS)
    rows = (
        OutgoingMessage.objects.filter(recent, dead | stuck, store_id__in=list(store_ids))
        .values("store_id")
        .annotate(dead=Count("pk", filter=dead), retrying=Count("pk", filter=stuck))
    )
    return {row["store_id"]: Failing(row["dead"], row["retrying"]) for row in rows}


def failing(store: IdentityStore) -> Failing | None:
    return failing_stores([store.pk]).get(store.pk)


def failing_store_flags(store_ids: Iterable[int]) -> dict[int, str]:
    """The store list's provider (identitystores.store_flags)."""
    return {store_id: str(found) for store_id, found in failing_stores(store_ids).items()}
