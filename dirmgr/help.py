"""``/help/<page>/``: a page of the project's docs/ folder inside the Admin Center, so the links
next to an error lead to the explanation without leaving the app (see core/helpdocs.py for why
the text is shown as written)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import helpdocs


@require_GET
def help_page(request: HttpRequest, name: str) -> HttpResponse:
    parts = helpdocs.sections(name)
    if not parts:
        raise Http404("No such help page.")
    title = next((s.title for s in parts if s.level == 1), name)
    context = {"title": title, "sections": parts, "source": f"docs/{name}.md", "nav": "help"}
    return render(request, "help.html", context)
