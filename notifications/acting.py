"""Where an admin's own sign-in password may go when a store uses no SMTP user authentication.

The spec's default connects "with the credentials of the user logged into Admin Center". Several
admins share a store, so the store's SMTP server is not necessarily one the acting admin chose:
a co-admin could point it at a server of their own and collect everyone's password. Hence:

- the password goes only over verified TLS ("SSL enabled"); over plain SMTP the transport sends
  the mail without AUTH (notifications/transports/smtp.py);
- and only to a destination (host, port, SSL) the acting admin saved on the Notifications page or
  confirmed, or one the operator allows (`DIRMGR_ACTING_CREDENTIALS_HOSTS`);
- each outbox row remembers the destination it was queued for; a row whose store was repointed
  since, or whose admin has not trusted the current destination, is held (checked when queueing
  and again, authoritatively, when a worker claims it) until that admin answers the banner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings as django_settings
from django.db.models import F, prefetch_related_objects

from core import destination_rules, destinations

from .models import ActingTrust, NotificationSettings, OutgoingMessage

Status = OutgoingMessage.Status
Decision = ActingTrust.Decision


@dataclass(frozen=True)
class Destination:
    """Host, port and TLS mode: what an admin trusts with their password."""

    host: str
    port: int
    ssl: bool

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}/{'ssl' if self.ssl else 'plain'}"

    def __str__(self) -> str:
        return f"{self.host}:{self.port} ({'SSL' if self.ssl else 'no SSL'})"


def destination_of(store_settings: NotificationSettings) -> Destination:
    host = store_settings.smtp_host.strip().lower().rstrip(".")
    return Destination(host, store_settings.port, store_settings.ssl_enabled)


def uses_acting_credentials(store_settings: NotificationSettings | None) -> bool:
    """The store sends with the acting admin's sign-in (no SMTP user authentication)."""
    return bool(store_settings and not store_settings.use_smtp_auth and store_settings.smtp_host)


def operator_allows(destination: Destination) -> bool:
    """`DIRMGR_ACTING_CREDENTIALS_HOSTS` lists it (every address a name resolves to must match)."""
    rules = [
        destination_rules.parse_rule(r) for r in django_settings.DIRMGR_ACTING_CREDENTIALS_HOSTS
    ]
    if not rules:
        return False
    host, port = destination.host, destination.port
    named = [rule for rule in rules if rule.network is None]
    if any(rule.host == host and rule.port in (None, port) for rule in named):
        return True
    addresses = destinations.resolve(host, port)
    return bool(addresses) and all(
        any(rule.network is not None and rule.matches(host, a, port) for rule in rules)
        for a in addresses
    )


def decision_of(user_id: int | None, destination: Destination) -> str | None:
    if user_id is None:
        return None
    found = ActingTrust.objects.filter(user_id=user_id, destination=destination.key)
    return found.values_list("decision", flat=True).first()


def record_decision(user, destination: Destination, decision: str) -> None:
    ActingTrust.objects.update_or_create(
        user=user, destination=destination.key, defaults={"decision": decision}
    )


def trusted(user_id: int | None, destination: Destination) -> bool:
    decision = decision_of(user_id, destination)
    if decision is not None:
        return decision != Decision.DECLINED
    return operator_allows(destination)


# -- who set it, in plain words ------------------------------------------------------------------


def set_by(store_settings: NotificationSettings) -> str:
    user = store_settings.destination_set_by
    return user.get_username() if user else "an unknown admin"


def set_at(store_settings: NotificationSettings) -> str:
    when: datetime | None = store_settings.destination_set_at or store_settings.updated
    return f"{when:%Y-%m-%d %H:%M} UTC" if when else "an unknown time"


def hold_reason(
    store_settings: NotificationSettings,
    row: OutgoingMessage,
    is_trusted: Callable[[int | None, Destination], bool] = trusted,
) -> str:
    """Why the row waits, or "" when it may go (with the password, or over plain without it)."""
    current = destination_of(store_settings)
    if not current.ssl:
        return ""  # the transport sends without AUTH over plain SMTP
    who = row.triggered_by.get_username() if row.triggered_by else "the acting admin"
    origin = f"set by {set_by(store_settings)} on {set_at(store_settings)}"
    if row.destination and row.destination != current.key:
        return (
            f"Waiting for {who}'s confirmation: this message was queued for another SMTP server, "
            f"but the store now sends to {current} ({origin}). {who}'s sign-in password goes only "
            "to a server they saved or confirmed."
        )
    if is_trusted(row.triggered_by_id, current):
        return ""
    return (
        f"Waiting for {who}'s confirmation: the store's SMTP server {current} was {origin}, and "
        f"{who} has not confirmed it. {who}'s sign-in password goes only to a server they saved "
        "or confirmed."
    )


# -- queueing and delivering -------------------------------------------------------------------


def queue_fields(store_settings: NotificationSettings, user, credentials: str) -> dict[str, str]:
    """The acting-credential fields of a new outbox row: what to keep, where, and why it waits."""
    if not uses_acting_credentials(store_settings) or not credentials:
        return {"acting_credentials": "", "held_reason": ""}
    current = destination_of(store_settings)
    if decision_of(getattr(user, "pk", None), current) == Decision.DECLINED:
        return {"acting_credentials": "", "held_reason": ""}  # "Not me": goes without AUTH
    row = OutgoingMessage(triggered_by=user, destination=current.key)
    return {"acting_credentials": credentials, "held_reason": hold_reason(store_settings, row)}


def hold_untrusted(rows: list[OutgoingMessage], claimed_at: datetime) -> list[OutgoingMessage]:
    """At claim time: hold rows whose password may not go where the store now points.

    Returns the rows to send. A held row gets its claimed attempt back: nothing was tried.
    """
    carrying = [row for row in rows if row.acting_credentials]
    prefetch_related_objects(carrying, "triggered_by")  # named in the reason: one query
    stores = {row.store_id for row in carrying}
    saved = {
        s.store_id: s
        for s in NotificationSettings.objects.filter(store_id__in=stores).select_related(
            "destination_set_by"
        )
    }
    memo: dict[tuple[int | None, Destination], bool] = {}

    def is_trusted(user_id: int | None, destination: Destination) -> bool:
        if (user_id, destination) not in memo:
            memo[user_id, destination] = trusted(user_id, destination)
        return memo[user_id, destination]

    sending: list[OutgoingMessage] = []
    held: dict[str, list[int]] = {}
    for row in rows:
        store_settings = saved.get(row.store_id)
        reason = ""
        if row.acting_credentials and uses_acting_credentials(store_settings):
            reason = hold_reason(store_settings, row, is_trusted)
        if reason:
            held.setdefault(reason[:500], []).append(row.pk)
        else:
            sending.append(row)
    ours = OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at=claimed_at)
    for reason, ids in held.items():
        ours.filter(pk__in=ids).update(
            status=Status.HELD, last_error=reason, attempts=F("attempts") - 1, lease_until=None
        )
    return sending
