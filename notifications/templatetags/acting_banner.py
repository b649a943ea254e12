"""`{% acting_banner %}` in the page layout: the SMTP server question for the signed-in admin.

On a store's pages it asks about that store (notifications/acting_answers.py); elsewhere it
lists the stores where mail the admin triggered waits for their answer.
"""

from __future__ import annotations

from django import template

from .. import acting_answers

register = template.Library()


@register.inclusion_tag("notifications/_acting_banner.html", takes_context=True)
def acting_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    store = context.get("store")
    if store is not None and getattr(store, "pk", None):
        return {
            "banner": acting_answers.banner(user, store),
            "csrf_token": context.get("csrf_token"),
        }
    return {"waiting": acting_answers.stores_waiting(user)}
