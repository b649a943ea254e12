"""Identity Stores and Portals pages. Every store view goes through get_store_for_admin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import confirm

from . import audit, portals, store_flags
from . import history as history_list
from .access import get_store_for_admin, stores_for
from .forms import IdentityStoreForm, PortalForm
from .models import Portal, StoreRole


def store_list(request: HttpRequest) -> HttpResponse:
    stores = list(stores_for(request.user).order_by("name"))
    flags = store_flags.flags_for([store.pk for store in stores])
    rows = [(store, flags.get(store.pk, [])) for store in stores]
    context = {
        "stores": rows,
        "may_create": may_create_store(request.user),
        "nav": "stores",
    }
    return render(request, "identitystores/list.html", context)


def may_create_store(user) -> bool:
    """Creating a store makes its creator its administrator, so it is a granted right: a
    superuser's, or the `identitystores.add_identitystore` permission's. Signing in is not."""
    return user.has_perm("identitystores.add_identitystore")


@require_http_methods(["GET", "POST"])
def store_create(request: HttpRequest) -> HttpResponse:
    # 403, not 404: this URL names no store, so there is nothing to hide, only a right to lack.
    if not may_create_store(request.user):
        raise PermissionDenied("Creating identity stores needs a permission you do not have.")
    form = IdentityStoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            store = form.save()
            if not request.user.is_superuser:
                StoreRole.objects.create(user=request.user, store=store)
            audit.record(store, request.user, "store created")
        messages.success(request, f"Identity store “{store.name}” created.")
        return redirect("identitystores:edit", store.pk)
    return render(request, "identitystores/form.html", {"form": form, "nav": "stores"})


@require_http_methods(["GET", "POST"])
def store_edit(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    form = IdentityStoreForm(request.POST or None, instance=store)
    if request.method == "POST" and form.is_valid():
        changes = [
            (name, str(form.initial.get(name, "")), str(form.cleaned_data[name]))
            for name in form.changed_data
        ]
        with transaction.atomic():
            form.save()
            audit.record(store, request.user, "store edited", changes)
        messages.success(request, "Saved.")
        return redirect("identitystores:edit", store.pk)
    context = {"form": form, "store": store, "nav": "stores", "store_nav": "general"}
    return render(request, "identitystores/form.html", context)


@require_http_methods(["GET", "POST"])
def store_delete(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if request.method == "POST":
        name = store.name
        store.delete()
        messages.success(request, f"Identity store “{name}” deleted.")
        return redirect("identitystores:list")
    return render(request, "identitystores/delete.html", {"store": store, "nav": "stores"})


def configurations(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    context = {"store": store, "nav": "stores", "store_nav": "configurations"}
    return render(request, "identitystores/configurations.html", context)


def history(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    found, page = history_list.changes_page(request, store)
    context = {
        "store": store,
        "filter": found,
        "page": page,
        "searched": any(request.GET.get(name) for name in ("who", "what", "since", "until")),
        "nav": "stores",
        "store_nav": "history",
    }
    return render(request, "identitystores/history.html", context)


def portal_list(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": portals.rows_for(request.user),
        "delete_detail": portals.DELETE_DETAIL,
        "nav": "portals",
    }
    return render(request, "identitystores/portal_list.html", context)


@require_http_methods(["GET", "POST"])
def portal_edit(request: HttpRequest, portal_id: int | None = None) -> HttpResponse:
    """Create or edit a portal. Admins link portals only to stores they administer, and change
    only portals all of whose stores they administer (as for deleting)."""
    portal = None
    if portal_id is not None:
        portal = get_object_or_404(portals.portals_for(request.user), pk=portal_id)
        if not portals.may_change(request.user, portal):
            messages.error(request, portals.SHARED_BEYOND_YOU)
            return redirect("identitystores:portal_list")
    before = _snapshot(portal)
    form = PortalForm(request.POST or None, instance=portal, stores=stores_for(request.user))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            if form.has_changed():
                action = "portal edited" if portal else "portal created"
                _record(request, action, before, saved)
        messages.success(request, f"Portal “{saved.name}” saved.")
        return redirect("identitystores:portal_list")
    return render(
        request,
        "identitystores/portal_form.html",
        {"form": form, "portal": portal, "nav": "portals"},
    )


@require_POST
def portal_delete(request: HttpRequest, portal_id: int) -> HttpResponse:
    """Deleting a portal affects every store it is linked to: all of them must be the admin's."""
    portal = get_object_or_404(portals.portals_for(request.user), pk=portal_id)
    if not portals.may_change(request.user, portal):
        messages.error(request, portals.SHARED_BEYOND_YOU)
        return redirect("identitystores:portal_list")
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            question=f"Delete the portal “{portal.name}”?",
            button="Delete",
            cancel_url=reverse("identitystores:portal_list"),
            detail=portals.DELETE_DETAIL,
            context={"nav": "portals"},
        )
    with transaction.atomic():
        before = _snapshot(portal)
        portal.delete()
        _record(request, "portal deleted", before, None)
    messages.success(request, f"Portal “{portal.name}” deleted.")
    return redirect("identitystores:portal_list")


def _snapshot(portal: Portal | None) -> dict:
    if portal is None:
        return {"Name": "", "URL": "", "stores": []}
    return {"Name": portal.name, "URL": portal.url, "stores": list(portal.stores.all())}


def _record(request: HttpRequest, action: str, before: dict, portal: Portal | None) -> None:
    """Write the change into the history of every store linked before or after it."""
    after = _snapshot(portal)
    changes = [(label, before[label], after[label]) for label in ("Name", "URL")]
    changes = [change for change in changes if change[1] != change[2]]
    name = after["Name"] or before["Name"]
    portals.record(request.user, action, name, before["stores"], after["stores"], changes)
