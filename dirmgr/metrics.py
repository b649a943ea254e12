"""``/metrics``: the outbox in Prometheus' text format, for operators.

Off unless ``DIRMGR_METRICS_TOKEN`` is set (the URL then answers 404, as if absent). Prometheus
sends the token as ``Authorization: Bearer …``, compared in constant time; a superuser signed
in to Admin Center may look too. Anyone else gets 401. The figures are read from the database
per scrape (notifications/metrics.py), so every web process answers alike.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from notifications.metrics import OutboxCollector

REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(OutboxCollector())


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.DIRMGR_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off.")
    if not (_bearer_matches(request, token) or request.user.is_superuser):
        response = HttpResponse(
            "A valid bearer token is required.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="dirmgr metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())
