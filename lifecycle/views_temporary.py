"""The pages listing and scheduling temporary memberships and temporary additional owners and
managers: the dated rows the life-cycle jobs act on later.

Both are one page (the form, then the latest rows) over another form, model and template, so
one view serves both, told apart by a `Page`. Every view goes through get_store_for_admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from identitystores import audit
from identitystores.access import get_store_for_admin

from .forms import TemporaryManagedByForm, TemporaryMembershipForm
from .models import TemporaryManagedBy, TemporaryMembership

LIST_LIMIT = 200


@dataclass(frozen=True)
class Page:
    form: type[forms.ModelForm]
    model: type[models.Model]
    related: tuple[str, ...]
    action: str  # the history entry's action
    url_name: str
    template: str


MEMBERSHIPS = Page(
    TemporaryMembershipForm,
    TemporaryMembership,
    ("group", "user", "requested_by"),
    "lifecycle.temporary_membership",
    "lifecycle:temporary_memberships",
    "lifecycle/temporary_memberships.html",
)
MANAGED_BY = Page(
    TemporaryManagedByForm,
    TemporaryManagedBy,
    ("target", "holder"),
    "lifecycle.temporary_managed_by",
    "lifecycle:temporary_managed_by",
    "lifecycle/temporary_managed_by.html",
)


@require_http_methods(["GET", "POST"])
def temporary_memberships(request: HttpRequest, store_id: int) -> HttpResponse:
    return _page(request, store_id, MEMBERSHIPS)


@require_http_methods(["GET", "POST"])
def temporary_managed_by(request: HttpRequest, store_id: int) -> HttpResponse:
    return _page(request, store_id, MANAGED_BY)


def _page(request: HttpRequest, store_id: int, page: Page) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    form = page.form(request.POST or None, store=store)
    if request.method == "POST" and _create(request, store, form, page.action):
        return redirect(page.url_name, store.pk)
    items = page.model.objects.filter(store=store).select_related(*page.related)
    context = {
        "store": store,
        "nav": "stores",
        "store_nav": "temporary",
        "form": form,
        "items": items.order_by("-start_date", "-id")[:LIST_LIMIT],
    }
    return render(request, page.template, context)


def _create(request: HttpRequest, store, form: forms.ModelForm, action: str) -> bool:
    if not form.is_valid():
        return False
    with transaction.atomic():
        item = form.save()
        audit.record(store, request.user, action, [("item", "", str(item)[:500])])
    messages.success(request, "Scheduled.")
    return True
