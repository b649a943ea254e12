"""A store's client secrets that have a known expiry date, and how their expiry is worded.

Read by both the Notifications and Directory connection pages' banners (`secret_banners.py`)
and the daily warning task (`secret_expiry.py`), so the page and the mail say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from entrasync.models import EntraConnection, SecretWarning
from identitystores.models import IdentityStore
from notifications.models import NotificationSettings

THRESHOLDS = (30, 7, 1)  # days before expiry on which the store's To/CC are mailed
Secret = SecretWarning.Secret


@dataclass(frozen=True)
class ExpiringSecret:
    secret: str
    label: str  # "The client secret of the Entra ID directory connection"
    where: str  # where a new one is entered
    expires: date

    def days_left(self, today: date) -> int:
        return (self.expires - today).days


def secrets_of(store: IdentityStore) -> list[ExpiringSecret]:
    """The store's secrets that have a known expiry date."""
    found = []
    conn = EntraConnection.objects.filter(store=store).first()
    if conn is not None and conn.secret_expires:
        found.append(
            ExpiringSecret(
                Secret.DIRECTORY,
                "The client secret of the Entra ID directory connection",
                "the Directory connection page",
                conn.secret_expires,
            )
        )
    smtp = NotificationSettings.objects.filter(store=store).first()
    if smtp is not None and uses_oauth_secret(smtp) and smtp.client_secret_expires:
        found.append(
            ExpiringSecret(
                Secret.SMTP_OAUTH,
                "The SMTP OAuth Client Secret",
                "the Notifications page",
                smtp.client_secret_expires,
            )
        )
    return found


def uses_oauth_secret(smtp: NotificationSettings) -> bool:
    return bool(
        smtp.use_smtp_auth
        and smtp.auth_type == NotificationSettings.AuthType.OAUTH2
        and smtp.client_secret
    )


def describe(item: ExpiringSecret, today: date) -> str:
    """ "… expires on 2026-12-09 (in 7 days)", or "expired on …" once past."""
    days = item.days_left(today)
    if days < 0:
        return f"{item.label} expired on {item.expires:%Y-%m-%d} ({-days} {_days(-days)} ago)."
    return f"{item.label} expires on {item.expires:%Y-%m-%d} ({in_days(days)})."


def in_days(days: int) -> str:
    return "today" if days == 0 else f"in {days} {_days(days)}"


def _days(n: int) -> str:
    return "day" if n == 1 else "days"
