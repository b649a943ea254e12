"""Shared by the directory commands: finding the store, the acting account and objects."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from directory.changes import Actor
from directory.lookup import AmbiguousReference, find_object
from directory.models import DirectoryObject, Route
from identitystores.models import IdentityStore


def store_named(reference: str) -> IdentityStore:
    """A store by exact name or by id."""
    stores = IdentityStore.objects.all()
    found = (
        stores.filter(pk=int(reference)) if reference.isdigit() else stores.filter(name=reference)
    )
    store = found.first()
    if store is None:
        raise CommandError(f"No identity store named “{reference}”.")
    return store


def actor_named(username: str | None) -> Actor:
    """The Admin Center account the change is made as (it may be notified as the acting user)."""
    if not username:
        return Actor(route=Route.MANAGEMENT_SHELL)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No Admin Center account named “{username}”.")
    return Actor(user, Route.MANAGEMENT_SHELL)


def object_named(
    store: IdentityStore, reference: str, kinds: tuple[str, ...] = ()
) -> DirectoryObject:
    try:
        return find_object(store.pk, reference, kinds)
    except (AmbiguousReference, DirectoryObject.DoesNotExist) as exc:
        raise CommandError(str(exc)) from exc
