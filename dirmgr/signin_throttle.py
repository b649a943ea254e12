"""Sign-in throttling: django-axes' per-(username, address) lockout plus two shared limits.

Per pair alone, one address may try one password on every username (password spraying) and a
botnet may try many passwords on one username. So failures are also counted per address (any
username) and per username (any address), each with its own limit. A shared limit would let an
attacker lock the real admin out, so — like Microsoft Entra ID's smart lockout — it never applies
to a username signing in from a *familiar* address: one it signed in from successfully in the
last ``SIGNIN_FAMILIAR_DAYS`` days. The pair limit always applies. Failures are counted by the
username as typed, trimmed and case-folded (directories match names without case).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from .models import FamiliarAddress

log = logging.getLogger(__name__)
USERNAME_MAX_LENGTH = 255  # axes' AccessAttempt.username


def username_key(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The name failures are counted under: the one typed into the sign-in form when there is
    one (so a directory sign-in resets its own failures), else the one authenticated."""
    typed = getattr(request, "POST", {}).get("username") or (credentials or {}).get("username")
    if not typed:
        return None
    return str(typed).strip().casefold()[:USERNAME_MAX_LENGTH]


class SignInThrottle(AxesDatabaseHandler):
    """axes' database handler (AXES_HANDLER) with the shared limits and familiar addresses."""

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or over_shared_limit(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or request.axes_locked_out:
            return
        if over_shared_limit(request, credentials):
            log.warning("Sign-in locked at a shared limit, address %s", request.axes_ip_address)
            request.axes_locked_out = True
            request.axes_credentials = credentials

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        username = username_key(request, {"username": user.get_username()})
        remember_address(username, request.axes_ip_address)


def over_shared_limit(request: HttpRequest, credentials: dict | None) -> bool:
    """Whether this address, or this username from an unfamiliar address, failed too often."""
    username = username_key(request, credentials)
    address = request.axes_ip_address
    if is_familiar(username, address):
        return False
    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    by_address = address is not None and _reached(
        recent.filter(ip_address=address), settings.SIGNIN_ADDRESS_FAILURE_LIMIT
    )
    by_username = username is not None and _reached(
        recent.filter(username=username), settings.SIGNIN_USERNAME_FAILURE_LIMIT
    )
    return by_address or by_username


def _reached(attempts: QuerySet, limit: int) -> bool:
    if limit <= 0:  # 0 turns the limit off
        return False
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    return failures >= limit


def _familiar_since() -> timezone.datetime:
    return timezone.now() - timedelta(days=settings.SIGNIN_FAMILIAR_DAYS)


def is_familiar(username: str | None, address: str | None) -> bool:
    if not username or not address:
        return False
    return FamiliarAddress.objects.filter(
        username=username, ip_address=address, last_success__gte=_familiar_since()
    ).exists()


def remember_address(username: str | None, address: str | None) -> None:
    """Record a successful sign-in; addresses not used within the window are forgotten."""
    if not username or not address:
        return
    FamiliarAddress.objects.update_or_create(
        username=username, ip_address=address, defaults={"last_success": timezone.now()}
    )
    FamiliarAddress.objects.filter(last_success__lt=_familiar_since()).delete()
