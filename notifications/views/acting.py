"""Confirm / Not me: an admin's answer to the banner about the store's SMTP server.

POST only (CSRF-protected like every form); the store comes from the one access helper, so
another store's admin gets a 404. Each answer acts on the requesting admin's own mail and trust
only, and carries the destination the banner showed: if the store was repointed meanwhile, the
answer is refused and the banner shows the new server.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect

from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from .. import acting_answers


def confirm(request: HttpRequest, store_id: int) -> HttpResponse:
    return _answer(
        request,
        store_id,
        acting_answers.confirm,
        lambda count: f"SMTP server confirmed. {_messages(count)} you triggered queued to be sent.",
    )


def decline(request: HttpRequest, store_id: int) -> HttpResponse:
    return _answer(
        request,
        store_id,
        acting_answers.decline,
        lambda count: (
            "Recorded in the store's history: your sign-in password is never sent to "
            f"that server. {_messages(count)} you triggered will not be sent."
        ),
    )


def _answer(
    request: HttpRequest,
    store_id: int,
    act: Callable[[IdentityStore, object, str], int],
    said: Callable[[int], str],
) -> HttpResponse:
    """Both answers alike: the store first (another store's URL is a 404), then POST only."""
    store = get_store_for_admin(request, store_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        count = act(store, request.user, request.POST.get("destination", ""))
    except acting_answers.StaleAnswer as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, said(count))
    return redirect("notifications:outbox", store.pk)


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"
