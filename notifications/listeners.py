"""Notifications take part in directory changes as a listener: the directory announces each
recorded change (inside its transaction) and `on_change` writes the mail for it. Registered from
`NotificationsConfig.ready`, so the directory never imports notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from directory import hooks
from directory.models import DirectoryEvent

from .notify import notify, store_lookups_once

if TYPE_CHECKING:
    from directory.changes import Actor


def on_change(event: DirectoryEvent, actor: Actor) -> None:
    """Mail the change to its recipients; the admin's sign-in secret goes along for stores
    that send as the signed-in admin."""
    notify(event, credentials=actor.credentials)


def register() -> None:
    hooks.register_listener(on_change, batch=store_lookups_once)
