"""Who may open the Mailbox, and which caught messages each may see and delete.

The Mailbox is a development and demo tool (DIRMGR_MAILBOX). Store administrators see only the
mail of stores they administer (the store sealed into each message's Message-ID); superusers
see everything, including mail no store sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from identitystores.access import stores_for

from .models import CaughtMessage


def may_see_mailbox(user) -> bool:
    if not settings.MAILBOX_ENABLED or not user.is_authenticated:
        return False
    return user.is_superuser or user.store_roles.exists()


def require_mailbox(request: HttpRequest) -> None:
    """404 when the Mailbox is switched off or the user administers nothing (no hint it exists)."""
    if not may_see_mailbox(request.user):
        raise Http404("No mailbox here.")


def messages_for(user) -> QuerySet[CaughtMessage]:
    """The caught messages `user` may read and delete."""
    if user.is_superuser:
        return CaughtMessage.objects.all()
    return CaughtMessage.objects.filter(store__in=stores_for(user))
