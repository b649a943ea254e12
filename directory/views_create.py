"""Creating users, groups and contacts in the Admin Center. Only the built-in directory has this
page: the objects of an LDAP, Active Directory or Entra ID store come from that directory (sync
or import), and one made here would exist in our copy only.

The new object goes through `directory.changes.create_object` with the signed-in admin as actor
(route "Admin Center"), so its creation notifies like any other change."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from identitystores import credentials
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from . import changes
from .changes import Actor, ChangeError
from .forms import create_form
from .models import DirectoryObject, Route

Kind = DirectoryObject.Kind


def can_create(store: IdentityStore) -> bool:
    """Whether the Admin Center creates objects in this store (the built-in directory only)."""
    return store.type == IdentityStore.Type.BUILT_IN


@require_http_methods(["GET", "POST"])
def create_object(request: HttpRequest, store_id: int, kind: str) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if kind not in Kind.values or not can_create(store):
        raise Http404("No such page.")
    form = create_form(store.pk, kind, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor(request.user, Route.ADMIN_CENTER, credentials.for_outbox(request))
        values = {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}
        try:
            obj = changes.create_object(store, actor, kind, **values)
        except ChangeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"Created {obj.name}. Notifications follow the store's recipient rules."
            )
            return redirect("directory:object", store.pk, obj.pk)
    context = {
        "store": store,
        "form": form,
        "kind_label": Kind(kind).label.lower(),
        "nav": "stores",
        "store_nav": "directory_objects",
    }
    return render(request, "directory/create.html", context)
