"""The admin guides of docs/ that pages link to, shown in Admin Center as written.

Only the guides listed here are served: a page names a guide by key, never by path.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

GUIDES = {
    "exchange-online-oauth": "exchange-online-oauth.md",
    "office365-graph": "office365-graph.md",
    "test-server-errors": "test-server-errors.md",
}


@require_GET
def guide(request: HttpRequest, name: str) -> HttpResponse:
    if name not in GUIDES:
        raise Http404("No such guide.")
    text = (settings.BASE_DIR / "docs" / GUIDES[name]).read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ") if text else name
    return render(request, "notifications/guide.html", {"title": title, "text": text})
