"""One outbox row in full: recipients, headers, the rendered message, attempts and errors.

The page is store-scoped like every store page: a row of a store the admin does not manage is a
404. The acting admin's encrypted credentials are never shown, only whether the row carries them.
Later sections (per-recipient results, why these recipients) go into the template's blocks.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render

from identitystores.access import get_store_for_admin

from ..delivery.failover import sent_through
from ..explain import row_why
from ..models import OutgoingMessage, split_addresses
from . import row_recipients


def row_page(request: HttpRequest, store_id: int, message_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)  # before the method check: no hint it exists
    row = get_object_or_404(store.outbox.select_related("triggered_by"), pk=message_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    context = {
        "store": store,
        "row": row,
        "recipients": recipient_lists(row),
        "headers": header_lines(row),
        "restore_hours": settings.OUTBOX_RESTORE_HOURS,
        "nav": "stores",
        "store_nav": "outbox",
        "results": row_recipients.recipient_results(row),
        "sent_through": sent_through(row),
        **row_why(row),
    }
    template = "notifications/outbox_row/_live.html" if request.htmx else None
    return render(request, template or "notifications/outbox_row.html", context)


def recipient_lists(row: OutgoingMessage) -> list[tuple[str, list[str]]]:
    """To, CC and Bcc as lists of addresses, each shown in full (Bcc is never in the headers)."""
    return [
        ("To", split_addresses(row.to)),
        ("CC", split_addresses(row.cc)),
        ("Bcc", split_addresses(row.bcc)),
    ]


def header_lines(row: OutgoingMessage) -> list[tuple[str, str]]:
    """The headers the message goes out with, in the order the sender writes them; the Date
    header is set at each attempt and so is not known here."""
    lines = [("From", row.from_email)]
    lines += [(name, value) for name, value in (("To", row.to), ("Cc", row.cc)) if value]
    lines += [
        ("Subject", row.subject),
        ("Message-ID", row.message_id),
        ("Auto-Submitted", "auto-generated"),
    ]
    return [(name, value) for name, value in lines if value]
