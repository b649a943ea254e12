"""Directory pages of a store: browse and search objects, edit attributes, members, owners and
managers (the forms of the object page and the change each makes are in `object_actions.py`).
Every change goes through `directory.changes` (route "Admin Center"), so it notifies."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import confirm
from identitystores import credentials
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from . import removals
from .changes import Actor, ChangeError
from .forms import SearchForm
from .models import AdditionalManager, AdditionalOwner, DirectoryObject, GroupMembership, Route
from .object_actions import ACTIONS, apply_action
from .views_create import can_create
from .views_delete import DELETE_DETAIL, delete_question

Kind = DirectoryObject.Kind
PAGE_SIZE = 50
# Stores whose objects come from an LDAP server by sync (their Directory connection page).
SYNCED_TYPES = {
    IdentityStore.Type.ACTIVE_DIRECTORY,
    IdentityStore.Type.LDAP,
    IdentityStore.Type.ENTRA_ID,
}


def directory_list(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    search = SearchForm(request.GET or None)
    objects = DirectoryObject.objects.filter(store=store)
    if search.is_valid():
        q, kind = search.cleaned_data["q"].strip(), search.cleaned_data["kind"]
        if q:
            objects = objects.filter(Q(name__icontains=q) | Q(email__icontains=q))
        if kind:
            objects = objects.filter(kind=kind)
    page = Paginator(objects.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "store": store,
        "search": search,
        "page": page,
        "can_create": can_create(store),
        "kinds": [(k.value, k.label.lower()) for k in (Kind.USER, Kind.GROUP, Kind.CONTACT)],
        **_nav(),
    }
    if not page.object_list:
        context["store_is_empty"] = not DirectoryObject.objects.filter(store=store).exists()
        context["synced_type"] = store.type in SYNCED_TYPES
    return render(request, "directory/list.html", context)


@require_http_methods(["GET", "POST"])
def directory_object(request: HttpRequest, store_id: int, object_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    obj = get_object_or_404(
        DirectoryObject.objects.select_related("primary_owner", "primary_manager"),
        store=store,
        pk=object_id,
    )
    forms = {name: a.form(obj, None) for name, a in ACTIONS.items() if obj.kind in a.kinds}
    if request.method == "POST":
        action = request.POST.get("action", "")
        actor = Actor(request.user, Route.ADMIN_CENTER, credentials.for_outbox(request))
        if action in removals.REMOVALS:
            return _remove(request, obj, action, actor)
        if action not in forms:
            return HttpResponseBadRequest("Unknown action.")
        form = forms[action] = ACTIONS[action].form(obj, request.POST)
        if form.is_valid() and apply_action(ACTIONS[action], obj, form, actor):
            messages.success(request, "Saved. Notifications follow the store's recipient rules.")
            return redirect("directory:object", store.pk, obj.pk)
    return render(request, "directory/object.html", _object_context(request, obj, forms))


def _remove(request: HttpRequest, obj: DirectoryObject, action: str, actor: Actor) -> HttpResponse:
    target = get_object_or_404(
        DirectoryObject, store_id=obj.store_id, pk=request.POST.get("target") or 0
    )
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            question=removals.question(action, obj=obj, target=target),
            button="Remove",
            cancel_url=reverse("directory:object", args=[obj.store_id, obj.pk]),
            context={"store": obj.store, **_nav()},
        )
    try:
        removals.REMOVALS[action](obj, target, actor)
    except ChangeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Removed {target.name}.")
    return redirect("directory:object", obj.store_id, obj.pk)


def _object_context(request: HttpRequest, obj: DirectoryObject, forms: dict) -> dict:
    members = (
        DirectoryObject.objects.filter(memberships__group=obj).order_by("name", "id")
        if obj.is_group
        else DirectoryObject.objects.none()
    )
    return {
        "store": obj.store,
        "obj": obj,
        "forms": forms,
        "members": Paginator(members, PAGE_SIZE).get_page(request.GET.get("page")),
        "member_of": DirectoryObject.objects.filter(
            pk__in=GroupMembership.objects.filter(member=obj).values("group_id")
        )[:PAGE_SIZE],
        "owners": AdditionalOwner.objects.filter(group=obj).select_related("owner"),
        "managers": AdditionalManager.objects.filter(user=obj).select_related("manager"),
        "may_delete": can_create(obj.store),
        "delete_question": delete_question(obj),
        "delete_detail": DELETE_DETAIL,
        **_nav(),
    }


def _nav() -> dict:
    return {"nav": "stores", "store_nav": "directory_objects"}
