"""The daily task that mails a store's To/CC before a client secret expires: the directory
connection's (Entra ID app registration) or the SMTP OAuth one of the Notifications page.

A secret that expires stops sync, write-back, sign-in or mail without warning, so the store's
Notifications and Directory connection pages show a banner (`secret_banners.py`), and this task
mails the store's To/CC `THRESHOLDS` days before (`expiring_secrets.py`). Each threshold is
mailed once per expiry date (a `SecretWarning` row, unique, written in the same transaction as
the mail's outbox rows), so a rerun the same day, or a worker that runs the task twice, sends
nothing more.

The directory secret's date is read from the app registration (`passwordCredentials`, when the
app has Application.Read.All) and replaces the typed one; otherwise the typed date is used. The
SMTP OAuth secret's date is read the same way when its token endpoint is an Entra ID one.
This module is at the top layer because it reads both the Entra ID connection and the
notification settings, and mails through `notifications.notify`.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from entrasync.app_registration import secret_end_date, token_endpoint_connection
from entrasync.models import EntraConnection, SecretWarning
from identitystores.models import IdentityStore
from notifications.models import NotificationSettings
from notifications.notify import Notice, send_notice, settings_for

from .expiring_secrets import (
    THRESHOLDS,
    ExpiringSecret,
    describe,
    in_days,
    secrets_of,
    uses_oauth_secret,
)

log = logging.getLogger(__name__)


def refresh_directory_date(conn: EntraConnection) -> None:
    """Take the app registration's date when Graph tells it (Application.Read.All granted)."""
    found = secret_end_date(conn)
    if found is not None and found != conn.secret_expires:
        conn.secret_expires = found
        conn.save(update_fields=["secret_expires"])


def refresh_smtp_date(smtp: NotificationSettings) -> None:
    """The same for the SMTP OAuth Client Secret, when its token endpoint is Entra ID's."""
    if not uses_oauth_secret(smtp):
        return
    conn = token_endpoint_connection(smtp.token_endpoint, smtp.client_id, str(smtp.client_secret))
    found = secret_end_date(conn) if conn is not None else None
    if found is not None and found != smtp.client_secret_expires:
        smtp.client_secret_expires = found
        smtp.save(update_fields=["client_secret_expires"])


def due_threshold(days_left: int) -> int | None:
    """The tightest threshold reached, or None: 5 days left → 7; 31 → none; expired → none."""
    if days_left < 0:
        return None
    reached = [t for t in THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


def warn_store(store: IdentityStore, today: date) -> int:
    """Mail each secret's due threshold once; returns the number of warnings sent."""
    conn = EntraConnection.objects.filter(store=store).first()
    if conn is not None:
        refresh_directory_date(conn)
    settings = settings_for(store)
    if settings is not None:
        refresh_smtp_date(settings)
    sent = 0
    for item in secrets_of(store):
        threshold = due_threshold(item.days_left(today))
        if threshold is not None and settings is not None:
            sent += _warn_once(store, settings, item, threshold, today)
    return sent


def _warn_once(store, settings, item: ExpiringSecret, threshold: int, today: date) -> int:
    try:
        with transaction.atomic():
            SecretWarning.objects.create(
                store=store, secret=item.secret, expires=item.expires, threshold=threshold
            )
            send_notice(store, settings, notice_for(store, item, today), set())
    except IntegrityError:
        return 0  # mailed already
    log.info("secret expiry warning store=%s secret=%s days=%s", store.pk, item.secret, threshold)
    return 1


def notice_for(store: IdentityStore, item: ExpiringSecret, today: date) -> Notice:
    days = item.days_left(today)
    return Notice(
        subject=f"{store.name}: a client secret expires {in_days(days)}",
        headline=describe(item, today),
        details=[
            ("Secret", item.label.removeprefix("The ")),
            ("Expires on", f"{item.expires:%Y-%m-%d}"),
            ("What to do", f"Create a new secret and enter it on {item.where} of Admin Center."),
        ],
    )


def stores_with_secrets() -> list[IdentityStore]:
    ids = set(EntraConnection.objects.values_list("store_id", flat=True))
    smtp = NotificationSettings.objects.filter(
        use_smtp_auth=True, auth_type=NotificationSettings.AuthType.OAUTH2
    )
    ids |= set(smtp.values_list("store_id", flat=True))
    return list(IdentityStore.objects.filter(pk__in=ids, enabled=True).order_by("pk"))


@shared_task(name="dirmgr.secret_expiry.warn_secret_expiry")
def warn_secret_expiry() -> int:
    """Daily: mail each store's To/CC 30, 7 and 1 days before a client secret expires."""
    today = timezone.localdate()
    return sum(warn_store(store, today) for store in stores_with_secrets())
