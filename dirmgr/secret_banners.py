"""The banner on the Notifications and Directory connection pages when a client secret expires
soon, shown from the first mail threshold on, so an admin who opens the page sees it before the
secret stops sync, sign-in or mail.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone

from identitystores.access import stores_for
from identitystores.models import IdentityStore

from .expiring_secrets import THRESHOLDS, describe, secrets_of

BANNER_DAYS = max(THRESHOLDS)
BANNER_PAGES = {"notifications:settings", "entrasync:connection"}


def banners(store: IdentityStore, today: date) -> list[str]:
    return [
        f"{describe(item, today)} Create a new secret in the app registration and enter it on "
        f"{item.where}."
        for item in secrets_of(store)
        if item.days_left(today) <= BANNER_DAYS
    ]


def secret_banners(request: HttpRequest) -> dict:
    """Context processor: the banners of the store whose Notifications or Directory connection
    page this is — only for an admin of that store."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in BANNER_PAGES:
        return {}
    store = stores_for(request.user).filter(pk=match.kwargs.get("store_id")).first()
    if store is None:
        return {}
    return {"secret_banners": banners(store, timezone.localdate())}
