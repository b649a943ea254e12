"""The Directory connection page of a Microsoft Entra ID store: the app registration's
credentials and national cloud, Test connection, the sync status line and Sync now.

Test connection makes this server connect where the admin says, so it is limited per admin
(`RATE_LIMIT` presses a minute) and override URLs pass the destination policy."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core import ratelimit
from core.queueing import BROKER_UNREACHABLE, queue_task
from directory import sync_status
from identitystores import audit
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from .diagnose import TestReport, test_connection
from .forms import EntraConnectionForm
from .models import EntraConnection, EntraSyncStatus
from .tasks import sync_store_task

SYNC_QUEUED = "Sync queued: it runs in the background; this page shows the result when it is done."
RATE_LIMIT = 5
TOO_MANY = f"Too many tests: at most {RATE_LIMIT} a minute. Wait a moment and try again."


def _entra_store(request: HttpRequest, store_id: int) -> IdentityStore:
    store = get_store_for_admin(request, store_id)
    if store.type == IdentityStore.Type.BUILT_IN:
        raise Http404("The built-in directory has no connection.")
    return store


def _ldap_page(store: IdentityStore) -> HttpResponse | None:
    """An LDAP or AD store's connection lives on the LDAP page: links (breadcrumbs, bookmarks)
    that name this page for such a store lead there."""
    if store.type == IdentityStore.Type.ENTRA_ID:
        return None
    return redirect("ldapsync:connection", store.pk)


@sensitive_post_parameters("client_secret")
@require_http_methods(["GET", "POST"])
def entra_connection(request: HttpRequest, store_id: int) -> HttpResponse:
    store = _entra_store(request, store_id)
    if elsewhere := _ldap_page(store):
        return elsewhere
    if request.htmx and request.htmx.target == "sync-status":
        return _sync_status(request, store)
    instance = EntraConnection.objects.filter(store=store).first() or EntraConnection(store=store)
    saved = instance.pk is not None
    form = EntraConnectionForm(request.POST or None, instance=instance)
    report, status = None, 200
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":
            report, status = _test(request, form)
        else:
            with transaction.atomic():
                form.save()
                audit.record(store, request.user, "entra connection saved", form.audit_changes())
            messages.success(request, "Entra ID connection saved.")
            return redirect("entrasync:connection", store.pk)
    context = {
        "store": store,
        "form": form,
        "report": report,
        **_status_context(store),
        "connection_saved": saved,
        "signin_redirect_uri": request.build_absolute_uri(reverse("entra_signin_callback")),
        "nav": "stores",
        "store_nav": "directory",
    }
    return render(request, "entrasync/connection.html", context, status=status)


def _status_context(store: IdentityStore) -> dict:
    """The shared sync status section (`directory/_sync_status.html`), times in the store's
    time zone."""
    status = EntraSyncStatus.objects.filter(store=store).first()
    return {
        **sync_status.status_context(status, store, timezone.now()),
        "sync_now_url": reverse("entrasync:sync_now", args=[store.pk]),
    }


def _sync_status(request: HttpRequest, store: IdentityStore) -> HttpResponse:
    """The sync status section alone, for the page's live update."""
    context = {
        "store": store,
        **_status_context(store),
        "connection_saved": EntraConnection.objects.filter(store=store).exists(),
    }
    return render(request, "directory/_sync_status.html", context)


def _test(request: HttpRequest, form: EntraConnectionForm) -> tuple[TestReport, int]:
    if not ratelimit.allow(f"entra-test:{request.user.pk}", limit=RATE_LIMIT, per_seconds=60):
        return TestReport(lines=[f"✗ {TOO_MANY}"]), 429
    report = test_connection(form.connection())
    for name, errors in report.field_errors.items():
        for error in errors:
            form.add_error(name, error)
    return report, 200


def sync_now(request: HttpRequest, store_id: int) -> HttpResponse:
    """Queue one sync of the store, unless one is running already."""
    store = _entra_store(request, store_id)
    if elsewhere := _ldap_page(store):
        return elsewhere
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not EntraConnection.objects.filter(store=store).exists():
        messages.error(request, "Save the Entra ID connection before syncing.")
        return redirect("entrasync:connection", store.pk)
    status = EntraSyncStatus.objects.filter(store=store).first()
    if sync_status.running_since(status, timezone.now()):
        messages.info(request, f"A sync of {store.name} is already running.")
        return redirect("entrasync:connection", store.pk)
    if queue_task(sync_store_task, store.pk):
        audit.record(store, request.user, "directory sync requested")
        messages.success(request, SYNC_QUEUED)
    else:
        messages.error(
            request, f"The sync could not be queued: {BROKER_UNREACHABLE}, so nothing was started."
        )
    return redirect("entrasync:connection", store.pk)
