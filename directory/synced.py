"""What every directory connector (LDAP, Entra ID) shares: its periodic tasks' bodies, the
claim that lets one sync of a store run at a time and the outcome it leaves on the store's
status row (each connector has its own row, with the fields `running_since`, `last_kind`,
`last_counts`, `last_duration`, `last_error`, `last_error_at`), the actor its changes are made
as, and how an object deleted there leaves our copy.

The "directory-sync" route is never written back (`hooks.write_back`), and notifies per the
store's rules like any other route.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from identitystores import audit
from identitystores.models import IdentityStore

from . import changes
from .changes import Actor
from .models import DirectoryObject, GroupMembership, Route

SYNC_ACTOR = Actor(route=Route.DIRECTORY_SYNC)
log = logging.getLogger(__name__)


def queue_periodic(connections: models.QuerySet, task) -> int:
    """Queue `task` once per store whose connection has periodic sync on (beat's `sync_all`)."""
    ids = list(
        connections.filter(sync_enabled=True, store__enabled=True).values_list(
            "store_id", flat=True
        )
    )
    for store_id in ids:
        task.delay(store_id)
    return len(ids)


def run_task(
    store_id: int,
    sync: Callable[[IdentityStore], object],
    *,
    busy: type[Exception],
    failed: type[Exception],
) -> str:
    """One store's sync as a task: the pass's kind, "busy" or "failed". A failure is on the
    store's status line and the next beat tries again, so the task itself does not retry."""
    store = IdentityStore.objects.get(pk=store_id)
    try:
        result = sync(store)
    except busy:
        return "busy"
    except failed as exc:
        log.warning("directory sync store=%s failed: %s", store_id, exc)
        return "failed"
    return result.kind


@transaction.atomic
def delete_object(obj: DirectoryObject) -> None:
    """An object deleted in the directory: it leaves its groups through the change services
    (member-removed notifications, as for any membership change), then the row goes with its
    links; the history records the deletion."""
    groups = DirectoryObject.objects.filter(
        pk__in=GroupMembership.objects.filter(member=obj).values("group_id")
    )
    for group in groups:
        group.store = obj.store
        changes.remove_member(group, obj, SYNC_ACTOR)
    audit.record(obj.store, SYNC_ACTOR.name, "directory.deleted", [(obj.name[:120], obj.name, "")])
    obj.delete()


def claim(status: models.Model) -> bool:
    """Claim the store's sync (a conditional UPDATE, so two workers never both win); False when
    another sync holds it. A claim older than LDAP_SYNC_STALE_SECONDS belongs to a dead run."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.LDAP_SYNC_STALE_SECONDS)
    rows = type(status).objects.filter(pk=status.pk)
    free = Q(running_since__isnull=True) | Q(running_since__lt=stale)
    return rows.filter(free).update(running_since=now) == 1


def release(status: models.Model) -> None:
    type(status).objects.filter(pk=status.pk).update(running_since=None)


def record_failure(status: models.Model, message: str) -> None:
    """The failure on the status line; the last success stays as it was."""
    type(status).objects.filter(pk=status.pk).update(
        last_error=message, last_error_at=timezone.now()
    )


def record_success(status, kind: str, counts: dict, duration: float) -> None:
    """The pass on the status line (with the connector's own fields set on `status` before)."""
    status.last_kind = kind
    status.last_counts = counts
    status.last_duration = round(duration, 3)
    status.last_error = ""
    status.last_error_at = None
    status.running_since = None
    status.save()
