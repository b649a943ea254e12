"""Confirm / Not me: an admin's answer to the banner about the store's SMTP server.

POST only (CSRF-protected like every form); the store comes from the one access helper, so
another store's admin gets a 404. Each answer acts on the requesting admin's own mail and trust
only, and carries the destination the banner showed: if the store was repointed meanwhile, the
answer is refused and the banner shows the new server.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect

from identitystores.access import get_store_for_admin

from .. import acting_answers


def confirm(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)  # first: another store's URL is a 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        count = acting_answers.confirm(store, request.user, request.POST.get("destination", ""))
    except acting_answers.StaleAnswer as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"SMTP server confirmed. {_messages(count)} you triggered queued to be sent."
        )
    return redirect("notifications:outbox", store.pk)


def decline(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        count = acting_answers.decline(store, request.user, request.POST.get("destination", ""))
    except acting_answers.StaleAnswer as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Recorded in the store's history: your sign-in password is never sent to that "
            f"server. {_messages(count)} you triggered will not be sent.",
        )
    return redirect("notifications:outbox", store.pk)


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"
