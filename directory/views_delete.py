"""Deleting users, groups and contacts in the Admin Center — in the built-in directory only, as
for creating: an LDAP, Active Directory or Entra ID store's objects live in that directory.

The deletion asks first (`core.confirm`: the dialog, or a confirmation page without JavaScript)
and goes through `directory.changes.delete_object` with the signed-in admin as actor, so it is
in the history and notified like any other change.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from core import confirm
from identitystores import credentials
from identitystores.access import get_store_for_admin

from . import changes
from .changes import Actor
from .models import DirectoryObject, Route
from .views_create import can_create

DELETE_DETAIL = (
    "It leaves every group it belongs to first, and each change is notified by the store's "
    "recipient rules. This cannot be undone."
)


def delete_object(request: HttpRequest, store_id: int, object_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)  # before the method check: no hint it exists
    obj = get_object_or_404(DirectoryObject, store=store, pk=object_id)
    if not can_create(store):
        raise Http404("Objects of this store are deleted in its directory.")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            question=delete_question(obj),
            button="Delete",
            cancel_url=reverse("directory:object", args=[store.pk, obj.pk]),
            detail=DELETE_DETAIL,
            context={"store": store, "nav": "stores", "store_nav": "directory_objects"},
        )
    actor = Actor(request.user, Route.ADMIN_CENTER, credentials.for_outbox(request))
    changes.delete_object(obj, actor)
    messages.success(
        request, f"Deleted {obj.name}. Notifications follow the store's recipient rules."
    )
    return redirect("directory:list", store.pk)


def delete_question(obj: DirectoryObject) -> str:
    return f"Delete the {obj.get_kind_display().lower()} “{obj.name}”?"
