""" "Who would be notified?": pick an object and an event, read who gets the mail and who not."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from identitystores.access import get_store_for_admin

from ..explain import Explanation
from ..explain_form import EVENTS, ExplainForm
from ..explain_preview import NOTICES, explain_change, explain_notice
from ..models import NotificationSettings


def explain_page(request: HttpRequest, store_id: int) -> HttpResponse:
    """The form reads its values from the query string, so an explanation has a link; a link
    with only `object` (from a directory object's page) shows the form, not errors."""
    store = get_store_for_admin(request, store_id)  # before the method: no hint it exists
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    bound = "event" in request.GET
    form = ExplainForm(
        request.GET if bound else None,
        store_id=store.pk,
        initial={"object": request.GET.get("object", "")},
    )
    explanation = None
    if bound and form.is_valid():
        explanation = _explain(request, store, form.cleaned_data)
    context = {
        "store": store,
        "nav": "stores",
        "store_nav": "notifications",
        "form": form,
        "explanation": explanation,
        "other_events": {event: label for event, (_, label, _) in EVENTS.items() if label},
    }
    return render(request, "notifications/explain.html", context)


def _explain(request: HttpRequest, store, data: dict) -> Explanation:
    settings = NotificationSettings.objects.filter(store=store).first()
    event, obj, other = data["event"], data["object"], data["other"]
    if event in NOTICES:
        return explain_notice(settings, event, obj, other)
    return explain_change(settings, event, obj, other, request.user)
