"""The Mailbox: what the local catcher received, newest first, and one message in full.

Mail content is shown, never executed: text parts are escaped, the HTML part goes into a
sandboxed iframe (no scripts, no forms, no same-origin access) through ``srcdoc``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import parsing
from .access import messages_for, require_mailbox

PAGE_SIZE = 50


def mailbox(request: HttpRequest) -> HttpResponse:
    require_mailbox(request)
    listing = messages_for(request.user).defer("raw")
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catcher/mailbox.html", {"page": page, "nav": "mailbox"})


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
    deleted, _ = messages_for(request.user).delete()
    deleted_text = ngettext("%d message", "%d messages", deleted) % deleted
    messages.success(request, f"Mailbox emptied ({deleted_text} deleted).")
    return redirect("catcher:mailbox")
