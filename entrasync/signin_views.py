""" "Sign in with Microsoft": the two requests of the authorization-code flow.

`start` keeps msal's flow (state, nonce, PKCE verifier) in the anonymous session and sends the
browser to the tenant's sign-in page; `callback` is the one redirect URI to register in the app
registration, whichever store signs in. A refused sign-in goes back to the sign-in page with a
plain message and counts as a failed sign-in for django-axes, whose lockout applies here as on the
password form; a successful one is a normal Django sign-in (session lifetime, familiar address).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from identitystores import credentials

from .models import EntraConnection
from .oidc import SignInRefused, begin, finish

log = logging.getLogger(__name__)
FLOW_KEY = "entra_signin_flow"
NOT_ALLOWED = (
    "This Microsoft account may not sign in to {store}: it is not in the store's "
    "Administrators group, or its Admin Center user is disabled."
)


def signin_connection(store_id: int) -> EntraConnection:
    conn = EntraConnection.objects.select_related("store").filter(
        store_id=store_id, signin_enabled=True, store__enabled=True
    )
    found = conn.first()
    if found is None:
        raise Http404("This identity store does not offer sign-in with Microsoft.")
    return found


def redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("entra_signin_callback"))


@login_not_required
def start(request: HttpRequest, signin_store: int) -> HttpResponse:
    """Anonymous, like the sign-in page that links here (so not a store admin page, whose
    URLs take `store_id`): a store that does not offer Microsoft sign-in is a 404."""
    conn = signin_connection(signin_store)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        flow = begin(conn, redirect_uri(request))
    except SignInRefused as exc:
        messages.error(request, str(exc))
        return redirect("login")
    request.session[FLOW_KEY] = {
        "store": conn.store_id,
        "flow": flow,
        "next": _safe_next(request, request.GET.get("next", "")),
    }
    return redirect(flow["auth_uri"])


@login_not_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop(FLOW_KEY, None)
    if not isinstance(pending, dict):
        messages.error(request, "No Microsoft sign-in was started in this browser. Start again.")
        return redirect("login")
    conn = signin_connection(pending["store"])
    try:
        claims = finish(conn, pending["flow"], request.GET.dict())
    except SignInRefused as exc:
        return _refused(request, str(exc), "")
    username = str(claims.get("preferred_username") or claims["oid"])
    user = authenticate(request, entra_claims=claims, store=conn.store, username=username)
    if getattr(request, "axes_locked_out", False):
        return HttpResponse(status=429)  # replaced by django-axes' lockout page
    if user is None:
        return _refused(request, NOT_ALLOWED.format(store=conn.store.name), None)
    login(request, user, backend="entrasync.signin_backend.EntraSignInBackend")
    credentials.mark_passwordless(request)
    return redirect(pending["next"] or resolve_url(settings.LOGIN_REDIRECT_URL))


def _refused(request: HttpRequest, message: str, username: str | None) -> HttpResponse:
    """Back to the sign-in page; a token-level refusal is counted as a failed sign-in."""
    if username is not None:
        user_login_failed.send(__name__, credentials={"username": username}, request=request)
    log.info("entra sign-in refused: %s", message)
    messages.error(request, message)
    return redirect("login")


def _safe_next(request: HttpRequest, target: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""
