"""Undo for a deleted email template override: the admin's session keeps the last deleted
override of each store, and Undo delete puts it back as it was.

The copy lives only in the session of the admin who deleted it (so it goes when they sign out),
and Undo refuses when an override for the same event and language was created in the meantime.
"""

from __future__ import annotations

from django.http import HttpRequest

from identitystores.models import IdentityStore

from .models import EmailTemplate

SESSION_KEY = "notifications_deleted_templates"
FIELDS = ("kind", "language", "subject", "body_text", "body_html")


def remember(request: HttpRequest, template: EmailTemplate) -> None:
    """Keep a copy of `template` (about to be deleted) for Undo."""
    kept = request.session.get(SESSION_KEY, {})
    kept[str(template.store_id)] = {name: getattr(template, name) for name in FIELDS}
    request.session[SESSION_KEY] = kept


def deleted(request: HttpRequest, store: IdentityStore) -> dict | None:
    """The store's last deleted override in this session, if any."""
    return request.session.get(SESSION_KEY, {}).get(str(store.pk))


def restore(request: HttpRequest, store: IdentityStore) -> EmailTemplate | None:
    """Recreate the last deleted override; None when there is none or its slot is taken."""
    values = deleted(request, store)
    if values is None:
        return None
    kept = request.session[SESSION_KEY]
    del kept[str(store.pk)]
    request.session[SESSION_KEY] = kept
    taken = EmailTemplate.objects.filter(
        store=store, kind=values["kind"], language=values["language"]
    )
    if taken.exists():
        return None
    return EmailTemplate.objects.create(store=store, **values)
