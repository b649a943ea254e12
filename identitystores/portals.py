"""Who may see and change a portal, and how its changes enter the stores' histories.

A portal can be linked to several identity stores, and its URL goes into every one of their
password-expiry mails ("Change it now"). Changing or deleting it therefore acts on all of them, so
only someone who administers every linked store may do either (a superuser always can). Each
change is written into the history of every store linked before or after it. A store's history
and the portal list never name another store: its admins may not know that store exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from . import audit
from .access import stores_for
from .models import AuditEntry, IdentityStore, Portal

SHARED_BEYOND_YOU = "This portal is linked to identity stores you do not manage."
DELETE_DETAIL = "Identity stores that link to it in password-expiry warnings lose that link."


@dataclass(frozen=True)
class PortalRow:
    """One line of the portal list, as the viewer may see it."""

    portal: Portal
    store_names: list[str]
    editable: bool


def portals_for(user) -> QuerySet[Portal]:
    """Portals linked to at least one store the user administers (every portal for superusers)."""
    if user.is_superuser:
        return Portal.objects.all()
    return Portal.objects.filter(stores__in=stores_for(user)).distinct()


def rows_for(user) -> list[PortalRow]:
    visible = set(stores_for(user).values_list("pk", flat=True))
    rows = []
    for portal in portals_for(user).prefetch_related("stores").order_by("name"):
        linked = list(portal.stores.all())
        names = [store.name for store in linked if store.pk in visible]
        rows.append(PortalRow(portal, names, all(store.pk in visible for store in linked)))
    return rows


def may_change(user, portal: Portal) -> bool:
    """Edit and delete follow one rule: every store the portal is linked to is the user's."""
    return not portal.stores.exclude(pk__in=stores_for(user)).exists()


def record(
    actor,
    action: str,
    name: str,
    before: Iterable[IdentityStore],
    after: Iterable[IdentityStore],
    changes: Iterable[tuple[str, str, str]] = (),
) -> None:
    """One history entry set per store linked before or after; `changes` are (label, old, new)
    of the portal's own fields. A store's link change is recorded only in that store."""
    before_ids = {store.pk for store in before}
    after_ids = {store.pk for store in after}
    stores = IdentityStore.objects.filter(pk__in=before_ids | after_ids)
    changes = [(f"Portal “{name}” {label}"[:120], old, new) for label, old, new in changes]
    rows = []
    for store in stores:
        link = _link_change(store.pk in before_ids, store.pk in after_ids, name)
        rows += audit.entries(store, actor, action, [*changes, *link])
    AuditEntry.objects.bulk_create(rows)


def _link_change(was: bool, now: bool, name: str) -> list[tuple[str, str, str]]:
    if was == now:
        return []
    field = f"Portal “{name}” linked to this store"[:120]
    return [(field, "yes" if was else "no", "yes" if now else "no")]
