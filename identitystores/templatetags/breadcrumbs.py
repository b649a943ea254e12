"""``{% breadcrumbs "Current page" %}``: the trail at the top of every page of an identity store,
Identity Stores › store › section › … › current page, built from the view's context (`store`
and `store_nav`, which also light up the store navigation) so every page words it the same way.

A page below another page of its section passes that page: ``{% breadcrumbs obj.name
via="Email templates" via_url=url %}``.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()

# store_nav (the store navigation entry a page belongs to) → the section's label and URL name.
SECTIONS = {
    "configurations": ("Configurations", "identitystores:configurations"),
    "notifications": ("Configurations", "identitystores:configurations"),
    "directory": ("Directory connection", "ldapsync:connection"),
    "directory_objects": ("Directory", "directory:list"),
    "schedules": ("Schedules", "lifecycle:schedules"),
    "temporary": ("Temporary changes", "lifecycle:temporary_memberships"),
    "outbox": ("Outbox", "notifications:outbox"),
    "history": ("History", "identitystores:history"),
}


@register.inclusion_tag("_breadcrumbs.html", takes_context=True)
def breadcrumbs(context, current="", via: str = "", via_url: str = "") -> dict:
    store, current = context["store"], str(current)
    links = [("Identity Stores", reverse("identitystores:list"))]
    if not current:
        return {"links": links, "current": store.name}
    links.append((store.name, reverse("identitystores:edit", args=[store.pk])))
    section = SECTIONS.get(context.get("store_nav", ""))
    if section and section[0] != current:
        links.append((section[0], reverse(section[1], args=[store.pk])))
    if via:
        links.append((via, via_url))
    return {"links": links, "current": current}
