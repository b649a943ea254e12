"""Bounded sessions: an absolute lifetime from sign-in and an idle timeout.

A session carries the admin's sign-in password (encrypted, for SMTP with the acting admin's
credentials, identitystores/credentials.py), so it must not live for Django's default two weeks.
Each signed-in request renews the session's expiry to the idle timeout, capped by what is left of
the lifetime; the session backend then refuses the session once it has expired, and this middleware
signs out one that has outlived its lifetime. The beat job deletes expired sessions, so the
stored password does not outlive them either.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.contrib.auth import logout
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse

SIGNED_IN_AT = "dirmgr_signed_in_at"
LIVE_POLL_HEADER = "X-Live-Poll"


def stamp_sign_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """`user_logged_in` receiver (connected in apps.py): the lifetime counts from here."""
    request.session[SIGNED_IN_AT] = time.time()


def remaining_lifetime(request: HttpRequest) -> float:
    """Seconds left before the session must end; a session without a sign-in time has none."""
    signed_in_at = request.session.get(SIGNED_IN_AT)
    if not isinstance(signed_in_at, int | float):
        return 0.0
    return settings.SESSION_LIFETIME_SECONDS - (time.time() - signed_in_at)


class SessionLimitsMiddleware:
    """Signs out sessions past their lifetime and renews the idle expiry of the others."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            remaining = remaining_lifetime(request)
            if remaining <= 0:
                logout(request)
            elif not is_live_poll(request):
                request.session.set_expiry(int(min(settings.SESSION_IDLE_SECONDS, remaining)))
        return self.get_response(request)


def is_live_poll(request: HttpRequest) -> bool:
    """A live page asking for its changing part (templates mark these requests): a tab left
    open must not keep its session alive past the idle timeout."""
    return request.headers.get(LIVE_POLL_HEADER) == "1"


@shared_task(name="dirmgr.sessions.clear_expired_sessions", ignore_result=True)
def clear_expired_sessions() -> None:
    """Delete expired sessions (and the encrypted passwords in them) from the session store."""
    call_command("clearsessions")
