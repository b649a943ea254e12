"""The store's Outbox page (the notification queue): what waits, what failed, Send and Delete."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import confirm
from core.list_filters import page_of
from identitystores.access import get_store_for_admin

from .. import delivery_health, outbox_actions
from ..delivery import lanes
from ..models import OutgoingMessage
from ..outbox_filters import OutboxFilter
from . import outbox_chart, row_recipients

Status = OutgoingMessage.Status
PAGE_SIZE = 50
DELETE_DETAIL = (
    "They will not be sent. A message already being sent may still go out. "
    "Deleted messages can be restored for {hours} hours."
)
UNDO_LIMIT = 200  # ids carried in the Undo link; more can be restored from "Deleted"
LIST_FIELDS = [
    "pk", "store", "subject", "created", "to", "bcc", "from_email", "cc", "last_attempt_at",
    "attempts", "status", "last_error", "next_attempt_at", "follow_up_of", "envelope",
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
        "restore_hours": settings.OUTBOX_RESTORE_HOURS,
        "searched": any(request.GET.get(name) for name in ("q", "since", "until")),
        "page": _page(request, found.qs.order_by("-created", "-id")),
        "lane": lanes.lane_state(store.pk),
    }
    if request.htmx:
        return render(request, "notifications/_outbox_list.html", context)
    context["undo"] = _undo_ids(request, store)
    context["chart"] = outbox_chart.chart(store)
    context["failing"] = delivery_health.failing(store)
    return render(request, "notifications/outbox.html", context)


def _page(request: HttpRequest, rows):
    """The requested page, each row carrying what became of its single recipients."""
    page = page_of(request, row_recipients.with_recipient_results(rows), PAGE_SIZE)
    for row in page.object_list:
        row.recipient_results = row_recipients.recipient_results(row)
    return page


def _act(request: HttpRequest, store) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("message") if v.isdigit() and len(v) <= 18]
    action = request.POST.get("action")
    back = _back_url(request, store)
    if action not in ("send", "delete", "restore"):
        return HttpResponseBadRequest("Unknown action.")
    if not ids:
        messages.warning(request, f"Nothing selected: tick the messages to {action} first.")
        return redirect(back)
    if action == "send":
        return _send(request, store, ids, back)
    if action == "restore":
        return _restore(request, store, ids, back)
    if not confirm.confirmed(request):
        return _ask_delete(request, store, ids, back)
    count = outbox_actions.delete_messages(store, request.user, ids)
    messages.success(request, f"{_messages(count)} deleted.")
    undo = ",".join(str(pk) for pk in ids[:UNDO_LIMIT])
    return redirect(f"{back}{'&' if '?' in back else '?'}undo={undo}")


def _restore(request: HttpRequest, store, ids: list[int], back: str) -> HttpResponse:
    count = outbox_actions.restore_messages(store, request.user, ids)
    if count:
        messages.success(request, f"{_messages(count)} restored.")
    else:
        hours = settings.OUTBOX_RESTORE_HOURS
        messages.warning(
            request, f"Nothing restored: deleted messages can be restored for {hours} hours."
        )
    return redirect(back)


def _undo_ids(request: HttpRequest, store) -> list[int]:
    """The messages just deleted (the Undo button's), while they can still be restored."""
    ids = [int(v) for v in request.GET.get("undo", "").split(",") if v.isdigit() and len(v) <= 18]
    if not ids:
        return []
    return list(
        outbox_actions.restorable(store)
        .filter(pk__in=ids[:UNDO_LIMIT])
        .values_list("pk", flat=True)
    )


def _send(request: HttpRequest, store, ids: list[int], back: str) -> HttpResponse:
    count = outbox_actions.send_now(store, request.user, ids)
    if count:
        messages.success(request, f"{_messages(count)} queued to be sent now.")
    else:
        messages.warning(request, "Nothing queued: the selected messages are sent or being sent.")
    return redirect(back)


def _ask_delete(request: HttpRequest, store, ids: list[int], back: str) -> HttpResponse:
    """The confirmation page when the dialog did not ask (no JavaScript)."""
    count = store.outbox.filter(pk__in=ids).exclude(status=Status.DELETED).count()
    if not count:
        messages.warning(request, "The selected messages are no longer in the outbox.")
        return redirect(back)
    return confirm.ask(
        request,
        question=f"Delete {_messages(count)} from the outbox?",
        button="Delete",
        cancel_url=back,
        detail=DELETE_DETAIL.format(hours=settings.OUTBOX_RESTORE_HOURS),
        context={"store": store, "nav": "stores", "store_nav": "outbox"},
    )


def _back_url(request: HttpRequest, store) -> str:
    """The list as the admin left it: same filters, same page."""
    url = reverse("notifications:outbox", args=[store.pk])
    kept = request.GET.copy()
    kept.pop("undo", None)
    query = kept.urlencode()
    return f"{url}?{query}" if query else url


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"
