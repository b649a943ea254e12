"""Keep each store's schedules in step with the store: created with it, in its time zone, and
removed with it (PeriodicTask rows do not reference the store, so no cascade does it)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from identitystores.models import IdentityStore

from .schedules import delete_schedules, ensure_schedules


@receiver(post_save, sender=IdentityStore, dispatch_uid="lifecycle_store_saved")
def store_saved(sender, instance: IdentityStore, raw: bool = False, **kwargs) -> None:
    if not raw:
        ensure_schedules(instance)


@receiver(post_delete, sender=IdentityStore, dispatch_uid="lifecycle_store_deleted")
def store_deleted(sender, instance: IdentityStore, **kwargs) -> None:
    delete_schedules(instance.pk)
