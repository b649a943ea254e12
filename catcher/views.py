"""The Mailbox: what the local catcher received, newest first, and one message in full.

Mail content is shown, never executed: text parts are escaped, the HTML part goes into a
sandboxed iframe (no scripts, no forms, no same-origin access) through ``srcdoc``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core import confirm
from core.list_filters import page_of

from . import parsing
from .access import messages_for, require_mailbox
from .mailbox_filters import MailboxFilter

PAGE_SIZE = 50


def mailbox(request: HttpRequest) -> HttpResponse:
    require_mailbox(request)
    listing = messages_for(request.user).defer("raw")
    found = MailboxFilter(request.GET, listing, request.user)
    context = {
        "filter": found,
        "page": page_of(request, found.qs, PAGE_SIZE),
        "searched": any(request.GET.get(name) for name in ("q", "store", "since", "until")),
        "nav": "mailbox",
    }
    if request.htmx:
        return render(request, "catcher/_mailbox_list.html", context)
    # Empty mailbox deletes every message the admin may see, whatever the filters show.
    context["total"] = listing.count()
    return render(request, "catcher/mailbox.html", context)


def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    require_mailbox(request)
    message = get_object_or_404(messages_for(request.user), pk=message_id)
    context = {
        "message": message,
        "parts": parsing.parts(message.parsed()),
        "source": bytes(message.raw).decode("utf-8", errors="replace"),
        "nav": "mailbox",
    }
    return render(request, "catcher/message.html", context)


@require_POST
def empty_mailbox(request: HttpRequest) -> HttpResponse:
    require_mailbox(request)
    listing = messages_for(request.user)
    if not confirm.confirmed(request):
        return _ask_empty(request, listing.count())
    deleted, _ = listing.delete()
    messages.success(request, f"Mailbox emptied ({_count(deleted)} deleted).")
    return redirect("catcher:mailbox")


def _ask_empty(request: HttpRequest, count: int) -> HttpResponse:
    """The confirmation page when the dialog did not ask (no JavaScript)."""
    if not count:
        messages.warning(request, "The mailbox is already empty.")
        return redirect("catcher:mailbox")
    return confirm.ask(
        request,
        question=f"Delete {_count(count)} from the mailbox?",
        button="Empty mailbox",
        cancel_url=reverse("catcher:mailbox"),
        context={"nav": "mailbox"},
    )


def _count(number: int) -> str:
    return ngettext("%d message", "%d messages", number) % number
