"""The store's Outbox page (the notification queue): what waits, what failed, Send and Delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import confirm
from identitystores.access import get_store_for_admin

from .. import outbox
from ..explain import group_names, row_why
from ..models import OutgoingMessage
from . import outbox_chart

Status = OutgoingMessage.Status
PAGE_SIZE = 50
FILTERS = {
    "pending": ("Pending", [Status.QUEUED, Status.HELD, Status.SENDING, Status.RETRYING]),
    "failed": ("Failed", [Status.DEAD]),
    "all": ("All", None),
}
LIST_FIELDS = [
    "pk", "subject", "created", "to", "bcc", "from_email", "cc", "last_attempt_at",
    "attempts", "status", "last_error", "why",
]  # fmt: skip


@require_http_methods(["GET", "POST"])
def outbox_page(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    show = request.GET.get("show", "pending")
    if show not in FILTERS:
        show = "pending"
    if request.method == "POST":
        return _act(request, store, show)
    rows = store.outbox.only(*LIST_FIELDS).order_by("-created", "-id")
    statuses = FILTERS[show][1]
    if statuses is not None:
        rows = rows.filter(status__in=statuses)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    names = group_names(page.object_list)
    for row in page.object_list:
        row.why_context = row_why(row, names)
    context = {
        "store": store,
        "nav": "stores",
        "store_nav": "outbox",
        "show": show,
        "filters": [(key, label) for key, (label, _) in FILTERS.items()],
        "page": page,
        "chart": outbox_chart.chart(store),
    }
    return render(request, "notifications/outbox.html", context)


def _act(request: HttpRequest, store, show: str) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("message") if v.isdigit() and len(v) <= 18]
    action = request.POST.get("action")
    back = _back_url(request, store, show)
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


def _back_url(request: HttpRequest, store, show: str) -> str:
    url = reverse("notifications:outbox", args=[store.pk])
    page = request.GET.get("page", "")
    return f"{url}?show={show}" + (f"&page={page}" if page.isdigit() else "")


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"
