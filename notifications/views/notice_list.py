"""The Notices table of the Notifications page: every kind of mail the store sends, which
languages have an override, and where to edit it."""

from __future__ import annotations

from django.urls import reverse

from identitystores.models import IdentityStore

from ..models import NOTICE_CHOICES, NOTICE_KINDS, EmailTemplate


def notice_list(store: IdentityStore) -> list[dict]:
    """Every notice the store sends, for the Notifications page: its overrides and where to edit
    it (the English override when there is one, else a new override from the default text)."""
    overrides: dict[str, list[EmailTemplate]] = {}
    for template in EmailTemplate.objects.filter(store=store).only("pk", "kind", "language"):
        overrides.setdefault(template.kind if template.kind in NOTICE_KINDS else "", []).append(
            template
        )
    changes = overrides.get("", [])
    rows = [
        {
            "label": "Change notifications",
            "about": "One per directory change, by event and language",
            "languages": sorted({t.language for t in changes}),
            "edit": reverse("notifications:email_templates", args=[store.pk]),
        }
    ]
    for kind, label in NOTICE_CHOICES:
        own = {t.language: t for t in overrides.get(kind, [])}
        rows.append(
            {
                "label": label,
                "about": NOTICE_ABOUT[kind],
                "languages": sorted(own),
                "edit": _edit_url(store, kind, own.get("en")),
            }
        )
    return rows


def _edit_url(store: IdentityStore, kind: str, english: EmailTemplate | None) -> str:
    if english is not None:
        return reverse("notifications:email_template_edit", args=[store.pk, english.pk])
    return reverse("notifications:email_template_create", args=[store.pk]) + f"?kind={kind}"


NOTICE_ABOUT = {
    "lifecycle-notice": "Membership and Managed By Life Cycle: added, removed, X days before",
    "password-warning": "To each member of the password-expiry group",
    "password-digest": "To To:/CC:, once per run: who was warned",
    "test-message": "Sent by Test Server",
}
