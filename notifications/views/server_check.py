"""Test Server: send one test notification with the values currently in the form, unsaved edits
included, and report the outcome in the admin's words. Nothing is saved."""

from __future__ import annotations

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters

from core import helpdocs, ratelimit
from identitystores import audit, credentials
from identitystores.access import get_store_for_admin

from .. import acting, exchange_basic
from ..addresses import normalise_address
from ..delivery import failover, lanes
from ..exchange_basic import signs_in_with_basic_to_exchange
from ..forms import NotificationSettingsForm
from ..models import NotificationSettings
from ..secret_bindings import SECRET_LABELS
from ..server_check import CheckResult, send_test_message, store_test_message
from ..smtp_config import config_from_settings
from ..tasks import dispatch
from ..transports import TransportConfig
from .settings_page import settings_for

RATE_LIMIT = 5  # attempts per admin per minute


@sensitive_post_parameters(*SECRET_LABELS)
def check_server(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)  # first: another store's URL is a 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = NotificationSettingsForm(request.POST, instance=settings_for(store), store=store)
    form.is_valid()
    errors = {name: list(errs) for name, errs in form.smtp_errors().items()}
    try:
        recipient = normalise_address(request.POST.get("test_recipient", ""))
    except ValidationError as exc:
        errors["test_recipient"] = exc.messages
    if errors:
        message = "Correct the marked fields, then test again."
        return _respond(request, store, CheckResult(ok=False, message=message), errors, status=400)
    if not ratelimit.allow(f"test-server:{request.user.pk}", limit=RATE_LIMIT, per_seconds=60):
        message = f"Too many tests: at most {RATE_LIMIT} a minute. Wait a moment and try again."
        return _respond(request, store, CheckResult(ok=False, message=message), {}, status=429)
    # A refused SMTP Server or Token Endpoint is a field error above; the transports apply the
    # destination policy again to the address they connect to.
    config = form.transport_config()
    if request.POST.get("test_server") == "second":
        return _check_second(request, store, form, config, recipient)
    if config.auth == "none" and _may_use_sign_in(request, store, config):
        username, password = credentials.from_session(request)
        config = dataclasses.replace(config, username=username, password=password)
    content = store_test_message(store.pk, store.name, recipient)
    result = _with_exchange_notice(
        send_test_message(
            config, recipient, store_name=store.name, store_id=store.pk, content=content
        ),
        config,
    )
    if result.ok:
        _release_if_saved(store, form, config)
    outcome = "succeeded" if result.ok else "failed"
    audit.record(
        store,
        request.user,
        f"test server {outcome}",
        [("Test Notification", f"{config.host}:{config.port} → {recipient}", result.message)],
    )
    return _respond(request, store, result, {})


def _check_second(request, store, form, config: TransportConfig, recipient: str) -> HttpResponse:
    """Test the second SMTP server with the first's authentication. Without SMTP user
    authentication it goes without the admin's sign-in credentials, as failed-over mail does:
    the second server is not where that admin's password is trusted to go."""
    if config.auth == "none":
        config = dataclasses.replace(config, username="", password="")
    second = failover.second_config(config, form.instance)
    if second is None:
        why = "Enter the second SMTP server to test it."
        if config.auth == "graph":
            why = "The Office 365 provider sends through Microsoft Graph: no second SMTP server."
        errors = {"second_smtp_host": [why]}
        message = "Correct the marked fields, then test again."
        return _respond(request, store, CheckResult(ok=False, message=message), errors, status=400)
    content = store_test_message(store.pk, store.name, recipient)
    result = send_test_message(
        second, recipient, store_name=store.name, store_id=store.pk, content=content
    )
    outcome = "succeeded" if result.ok else "failed"
    audit.record(
        store,
        request.user,
        f"test server {outcome}",
        [("Test Notification", f"{second.host}:{second.port} → {recipient}", result.message)],
    )
    return _respond(request, store, result, {})


def _with_exchange_notice(result: CheckResult, config: TransportConfig) -> CheckResult:
    """Basic to Exchange Online works until Microsoft turns it off: say so while it still works,
    and point to the OAuth 2.0 guide either way. A refusal (5.7.30) is explained by its hint."""
    refused = exchange_basic.refuses_basic(result.reply)
    notice = ""
    if not refused and signs_in_with_basic_to_exchange(
        config.host, use_smtp_auth=config.auth != "none", auth_type=config.auth
    ):
        notice = exchange_basic.NOTICE
    if not notice and not refused:
        return result
    guide_url = reverse("help", args=[exchange_basic.GUIDE])
    return dataclasses.replace(result, notice=notice, guide_url=guide_url)


def _release_if_saved(store, form: NotificationSettingsForm, config: TransportConfig) -> None:
    """A successful test of the saved settings proves their credentials: release mail held
    because the server refused them. A test of unsaved edits proves nothing about the saved."""
    saved = NotificationSettings.objects.filter(store=store).first()  # not the form's copy
    if saved is None or config != config_from_settings(saved):
        return
    ids = lanes.release(store.pk)
    if ids:
        transaction.on_commit(lambda: dispatch(ids))


def _may_use_sign_in(request: HttpRequest, store, config: TransportConfig) -> bool:
    """The admin's password goes where they typed a new server, or to one they trust — not to
    the saved server another admin set and they never confirmed (the form shows it pre-filled)."""
    typed = acting.Destination(
        config.host.strip().lower().rstrip("."), config.port, config.ssl_enabled
    )
    saved = settings_for(store)
    if not saved.pk or acting.destination_of(saved) != typed:
        return True
    return saved.destination_set_by_id == request.user.pk or acting.trusted(request.user.pk, typed)


HELP_PAGE = "test-server-errors"


def _respond(request, store, result: CheckResult, errors: dict, status: int = 200) -> HttpResponse:
    # A failure the server caused links to the section of the docs that explains it.
    failed = not result.ok and not errors and status == 200
    help_link = helpdocs.link(HELP_PAGE, result.message, result.reply) if failed else None
    if request.headers.get("Accept", "").startswith("application/json"):
        payload = {**dataclasses.asdict(result), "errors": errors, "help": help_link}
        return JsonResponse(payload, status=status)
    context = {
        "store": store,
        "result": result,
        "errors": errors,
        "help_link": help_link,
        "nav": "stores",
        "store_nav": "notifications",
    }
    return render(request, "notifications/test_result.html", context, status=status)
