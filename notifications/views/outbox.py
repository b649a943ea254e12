"""The store's Outbox page (the notification queue): what waits, what failed, Send and Delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import confirm
from core.list_filters import page_of
from identitystores.access import get_store_for_admin

from .. import delivery_health, outbox
from ..outbox_filters import OutboxFilter
from . import outbox_chart

PAGE_SIZE = 50
LIST_FIELDS = [
    "pk", "store", "subject", "created", "to", "bcc", "from_email", "cc", "last_attempt_at",
    "attempts", "status", "last_error", "next_attempt_at",
]  # fmt: skip


@require_http_methods(["GET", "POST"])
def outbox_page(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if request.method == "POST":
        return _act(request, store)
    found = OutboxFilter(request.GET, queryset=store.outbox.only(*LIST_FIELDS))
    context = {
        "store": store,
        "nav": "stores",
        "store_nav": "outbox",
        "filter": found,
        "show": found.form.cleaned_data.get("show", "") if found.is_valid() else "",
        "searched": any(request.GET.get(name) for name in ("q", "since", "until")),
        "page": page_of(request, found.qs.order_by("-created", "-id"), PAGE_SIZE),
    }
    if request.htmx:
        return render(request, "notifications/_outbox_list.html", context)
    context["chart"] = outbox_chart.chart(store)
    context["failing"] = delivery_health.failing(store)
    return render(request, "notifications/outbox.html", context)


def _act(request: HttpRequest, store) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("message") if v.isdigit() and len(v) <= 18]
    action = request.POST.get("action")
    back = _back_url(request, store)
    if action not in ("send", "delete"):
        return HttpResponseBadRequest("Unknown action.")
    if not ids:
        messages.warning(request, f"Nothing selected: tick the messages to {action} first.")
        return redirect(back)
    if action == "send":
        return _send(request, store, ids, back)
    if not confirm.confirmed(request):
        return _ask_delete(request, store, ids, back)
    count = outbox.delete_messages(store, request.user, ids)
    messages.success(request, f"{_messages(count)} deleted.")
    return redirect(back)


def _send(request: HttpRequest, store, ids: list[int], back: str) -> HttpResponse:
    count = outbox.send_now(store, request.user, ids)
    if count:
        messages.success(request, f"{_messages(count)} queued to be sent now.")
    else:
        messages.warning(request, "Nothing queued: the selected messages are sent or being sent.")
    return redirect(back)


def _ask_delete(request: HttpRequest, store, ids: list[int], back: str) -> HttpResponse:
    """The confirmation page when the dialog did not ask (no JavaScript)."""
    count = store.outbox.filter(pk__in=ids).count()
    if not count:
        messages.warning(request, "The selected messages are no longer in the outbox.")
        return redirect(back)
    return confirm.ask(
        request,
        question=f"Delete {_messages(count)} from the outbox?",
        button="Delete",
        cancel_url=back,
        detail="They will not be sent. A message already being sent may still go out.",
        context={"store": store, "nav": "stores", "store_nav": "outbox"},
    )


def _back_url(request: HttpRequest, store) -> str:
    """The list as the admin left it: same filters, same page."""
    url = reverse("notifications:outbox", args=[store.pk])
    query = request.GET.urlencode()
    return f"{url}?{query}" if query else url


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"
