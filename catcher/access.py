"""Who may open the Mailbox: a development tool for superusers and store administrators."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest


def may_see_mailbox(user) -> bool:
    if not settings.MAILBOX_ENABLED or not user.is_authenticated:
        return False
    return user.is_superuser or user.store_roles.exists()


def require_mailbox(request: HttpRequest) -> None:
    """404 when the Mailbox is switched off or the user administers nothing (no hint it exists)."""
    if not may_see_mailbox(request.user):
        raise Http404("No mailbox here.")
