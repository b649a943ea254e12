"""The pages listing and scheduling temporary memberships and temporary additional owners and
managers: the dated rows the life-cycle jobs act on later.

Both are one page (the form, then the latest rows) over another form, model and template, so
one view serves both, told apart by a `Page`. Every view goes through get_store_for_admin.
A scheduled change that has not started can be cancelled (asked first, recorded in History);
one in effect is ended by its schedule, not here, so the directory is never left half undone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import confirm
from identitystores import audit
from identitystores.access import get_store_for_admin

from .forms import TemporaryManagedByForm, TemporaryMembershipForm
from .models import State, TemporaryManagedBy, TemporaryMembership

LIST_LIMIT = 200


@dataclass(frozen=True)
class Page:
    form: type[forms.ModelForm]
    model: type[models.Model]
    related: tuple[str, ...]
    action: str  # the history entry's action
    url_name: str
    template: str
    cancel_url_name: str
    noun: str  # what one row is, in the confirmation question


MEMBERSHIPS = Page(
    TemporaryMembershipForm,
    TemporaryMembership,
    ("group", "user", "requested_by"),
    "lifecycle.temporary_membership",
    "lifecycle:temporary_memberships",
    "lifecycle/temporary_memberships.html",
    "lifecycle:temporary_membership_cancel",
    "temporary membership",
)
MANAGED_BY = Page(
    TemporaryManagedByForm,
    TemporaryManagedBy,
    ("target", "holder"),
    "lifecycle.temporary_managed_by",
    "lifecycle:temporary_managed_by",
    "lifecycle/temporary_managed_by.html",
    "lifecycle:temporary_managed_by_cancel",
    "temporary owner or manager",
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
        "rows": [
            (item, cancel_question(page, item))
            for item in items.order_by("-start_date", "-id")[:LIST_LIMIT]
        ],
        "cancel_url_name": page.cancel_url_name,
        "cancel_detail": CANCEL_DETAIL,
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


CANCEL_DETAIL = (
    "Nothing changes in the directory and no notice is sent; the row stays, marked Cancelled."
)


def cancel_question(page: Page, item: models.Model) -> str:
    """The question asked before a scheduled change is cancelled (dialog and confirmation page)."""
    return f"Cancel the {page.noun} “{item}”?"


def cancel_membership(request: HttpRequest, store_id: int, item_id: int) -> HttpResponse:
    return _cancel(request, store_id, item_id, MEMBERSHIPS)


def cancel_managed_by(request: HttpRequest, store_id: int, item_id: int) -> HttpResponse:
    return _cancel(request, store_id, item_id, MANAGED_BY)


def _cancel(request: HttpRequest, store_id: int, item_id: int, page: Page) -> HttpResponse:
    store = get_store_for_admin(request, store_id)  # before the method check: no hint it exists
    item = get_object_or_404(page.model, store=store, pk=item_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if item.state == State.SCHEDULED and not confirm.confirmed(request):
        return confirm.ask(
            request,
            question=cancel_question(page, item),
            button="Cancel change",
            cancel_url=reverse(page.url_name, args=[store.pk]),
            detail=CANCEL_DETAIL,
            context={"store": store, "nav": "stores", "store_nav": "temporary"},
        )
    with transaction.atomic():
        # Conditional: the schedule may have started it since the page was shown.
        cancelled = page.model.objects.filter(pk=item.pk, state=State.SCHEDULED).update(
            state=State.CANCELLED
        )
        if cancelled:
            audit.record(store, request.user, f"{page.action} cancelled", [("item", str(item), "")])
    if cancelled:
        messages.success(request, f"Cancelled: {item}.")
    else:
        messages.error(
            request, f"Not cancelled: “{item}” is no longer scheduled (it is {_state(page, item)})."
        )
    return redirect(page.url_name, store.pk)


def _state(page: Page, item: models.Model) -> str:
    return page.model.objects.get(pk=item.pk).get_state_display().lower()
