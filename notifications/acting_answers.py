"""The banner that asks an admin about a store's SMTP server, and their two answers.

An admin sees it on the store's pages when the store would send with their sign-in password to a
server someone else set and they have not answered for, or when mail they triggered is held
(notifications/acting.py). **Confirm** trusts that server for their password and sends their held
mail. **Not me** refuses it for good: their held mail of the store fails with its credentials
wiped, later mail they trigger goes there without AUTH (as scheduled mail does), and the store's
history names the server and who set it, for the other admins and the operator to follow up.
The store's settings are left as they are: reverting them is an ordinary, audited edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from identitystores import audit
from identitystores.models import IdentityStore

from .acting import (
    Decision,
    Destination,
    decision_of,
    destination_of,
    operator_allows,
    record_decision,
    set_at,
    set_by,
    uses_acting_credentials,
)
from .models import NotificationSettings, OutgoingMessage
from .tasks import dispatch

Status = OutgoingMessage.Status


class StaleAnswer(Exception):
    """The store's server changed after the banner was shown; the admin must look again."""


@dataclass(frozen=True)
class Banner:
    store: IdentityStore
    destination: Destination
    set_by: str
    set_at: str
    held: int


def _settings(store: IdentityStore) -> NotificationSettings | None:
    return (
        NotificationSettings.objects.filter(store=store)
        .select_related("destination_set_by")
        .first()
    )


def _held(store: IdentityStore, user) -> QuerySet[OutgoingMessage]:
    return OutgoingMessage.objects.filter(store=store, triggered_by=user, status=Status.HELD)


def banner(user, store: IdentityStore) -> Banner | None:
    """What to ask `user` about `store`'s SMTP server, or None."""
    store_settings = _settings(store)
    if not uses_acting_credentials(store_settings):
        return None
    current = destination_of(store_settings)
    held = _held(store, user).count()
    if not held and not _needs_answer(user, store_settings, current):
        return None
    return Banner(store, current, set_by(store_settings), set_at(store_settings), held)


def _needs_answer(user, store_settings: NotificationSettings, current: Destination) -> bool:
    if not current.ssl or store_settings.destination_set_by_id == user.pk:
        return False  # plain SMTP never carries the password; their own server needs no answer
    return decision_of(user.pk, current) is None and not operator_allows(current)


def stores_waiting(user) -> list[IdentityStore]:
    """Stores where mail this admin triggered waits for their answer (for the store list)."""
    ids = OutgoingMessage.objects.filter(triggered_by=user, status=Status.HELD).values("store_id")
    return list(IdentityStore.objects.filter(pk__in=ids))


def _current(store: IdentityStore, shown: str) -> tuple[NotificationSettings, Destination]:
    store_settings = _settings(store)
    if not uses_acting_credentials(store_settings):
        raise StaleAnswer("This store no longer sends with your sign-in credentials.")
    current = destination_of(store_settings)
    if current.key != shown:
        raise StaleAnswer(
            f"The store's SMTP server changed again: it is now {current}. Review it and answer."
        )
    return store_settings, current


def confirm(store: IdentityStore, user, shown: str) -> int:
    """Trust the server shown in the banner; send this admin's held mail of the store."""
    store_settings, current = _current(store, shown)
    with transaction.atomic():
        record_decision(user, current, Decision.CONFIRMED)
        held = _held(store, user)
        ids = list(held.values_list("pk", flat=True))
        held.filter(pk__in=ids).update(
            status=Status.QUEUED,
            destination=current.key,
            last_error="",
            next_attempt_at=timezone.now(),
        )
        detail = f"set by {set_by(store_settings)} on {set_at(store_settings)}"
        audit.record(
            store,
            user,
            "SMTP server confirmed for sign-in credentials",
            [("SMTP server", detail, f"{current}; {len(ids)} held messages queued")],
        )
        if ids:
            transaction.on_commit(lambda: dispatch(ids))
    return len(ids)


def release_if_unneeded(store: IdentityStore, store_settings: NotificationSettings) -> int:
    """After a save: held rows need no answer once no password would go (SMTP user
    authentication, or plain SMTP where none is sent); queue them like any other row."""
    if uses_acting_credentials(store_settings) and destination_of(store_settings).ssl:
        return 0
    held = OutgoingMessage.objects.filter(store=store, status=Status.HELD)
    ids = list(held.values_list("pk", flat=True))
    held.filter(pk__in=ids).update(
        status=Status.QUEUED,
        destination=destination_of(store_settings).key,
        last_error="",
        next_attempt_at=timezone.now(),
    )
    if ids:
        transaction.on_commit(lambda: dispatch(ids))
    return len(ids)


def decline(store: IdentityStore, user, shown: str) -> int:
    """Refuse the server: this admin's held mail of the store fails and loses its credentials."""
    store_settings, current = _current(store, shown)
    origin = f"set by {set_by(store_settings)} on {set_at(store_settings)}"
    reason = (
        f'Not sent: {user.get_username()} answered "Not me" for the SMTP server {current} '
        f"({origin}). Their sign-in password was removed from this message."
    )
    with transaction.atomic():
        record_decision(user, current, Decision.DECLINED)
        held = _held(store, user)
        count = held.update(status=Status.DEAD, acting_credentials="", last_error=reason[:500])
        audit.record(
            store,
            user,
            'SMTP server reported: "Not me"',
            [("SMTP server", origin, f"{current}; {count} held messages failed")],
        )
    return count
