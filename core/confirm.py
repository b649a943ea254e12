"""The confirmation step of destructive actions (delete, empty, remove).

The server acts only on a POST that carries ``confirm=yes``. A page with JavaScript sets that
field from the confirmation dialog (``static/js/confirm.js``) after the admin said yes; any
other POST — no JavaScript, a replayed click, a hand-made request — gets a confirmation page
that names what goes and posts the same fields again with ``confirm=yes``. So one click never
destroys, with or without the script, and the question is worded once, on the server.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRM_FIELD = "confirm"
_NOT_REPEATED = {CONFIRM_FIELD, "csrfmiddlewaretoken"}


def confirmed(request: HttpRequest) -> bool:
    """True when the admin already answered the question (dialog or confirmation page)."""
    return request.POST.get(CONFIRM_FIELD) == "yes"


def ask(
    request: HttpRequest,
    *,
    question: str,
    button: str,
    cancel_url: str,
    detail: str = "",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The confirmation page: `question` as its heading, the POSTed fields repeated, and
    `button` to go ahead; Cancel goes back to `cancel_url` with nothing done."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in _NOT_REPEATED
        for value in values
    ]
    page = {
        "question": question,
        "button": button,
        "cancel_url": cancel_url,
        "detail": detail,
        "fields": fields,
        "action": request.get_full_path(),
        **(context or {}),
    }
    return render(request, "confirm.html", page)
