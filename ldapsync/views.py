"""The Directory connection page of an LDAP or Active Directory store: settings, the Test
connection button, the sync status line and the Sync now button.

Test connection makes this server connect where the admin says, so, like Test Server, it is
limited per admin (`RATE_LIMIT` presses a minute) and its URLs pass the destination policy."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core import ratelimit
from core.queueing import BROKER_UNREACHABLE, queue_task
from directory.sync_status import running_since, stamp
from identitystores import audit
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from .diagnose import TestReport, test_connection
from .forms import ConnectionForm, initial_for
from .models import DirectoryConnection, SyncStatus
from .status import DIRECTORY_TYPES, status_context
from .tasks import sync_store_task

SYNC_QUEUED = "Sync queued: it runs in the background; this page shows the result when it is done."
RATE_LIMIT = 5  # Test connection presses per admin per minute, as for Test Server
TOO_MANY = f"Too many tests: at most {RATE_LIMIT} a minute. Wait a moment and try again."


def _directory_store(request: HttpRequest, store_id: int) -> IdentityStore:
    store = get_store_for_admin(request, store_id)
    if store.type not in DIRECTORY_TYPES:
        raise Http404("This identity store is not an LDAP directory.")
    return store


@sensitive_post_parameters("bind_password")
@require_http_methods(["GET", "POST"])
def directory_connection(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if store.type == IdentityStore.Type.ENTRA_ID:  # its connection has a page of its own
        return redirect("entrasync:connection", store.pk)
    store = _directory_store(request, store_id)
    if request.htmx and request.htmx.target == "sync-status":
        return _sync_status(request, store)
    instance = DirectoryConnection.objects.filter(store=store).first() or DirectoryConnection(
        store=store
    )
    initial = initial_for(store) if instance.pk is None else None
    form = ConnectionForm(request.POST or None, instance=instance, initial=initial)
    report, status = None, 200
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":
            report, status = _test(request, form)
        else:
            with transaction.atomic():
                form.save()
                audit.record(
                    store, request.user, "directory connection saved", form.audit_changes()
                )
            messages.success(request, "Directory connection saved.")
            return redirect("ldapsync:connection", store.pk)
    context = {
        "store": store,
        "form": form,
        "report": report,
        **status_context(store, timezone.now()),
        "connection_saved": instance.pk is not None,
        "nav": "stores",
        "store_nav": "directory",
    }
    return render(request, "ldapsync/connection.html", context, status=status)


def _sync_status(request: HttpRequest, store: IdentityStore) -> HttpResponse:
    """The sync status section alone, for the page's live update."""
    context = {
        "store": store,
        **status_context(store, timezone.now()),
        "connection_saved": DirectoryConnection.objects.filter(store=store).exists(),
    }
    return render(request, "directory/_sync_status.html", context)


def _test(request: HttpRequest, form: ConnectionForm) -> tuple[TestReport, int]:
    """Test the settings as typed, unless this admin pressed the button too often."""
    if not ratelimit.allow(f"ldap-test:{request.user.pk}", limit=RATE_LIMIT, per_seconds=60):
        return TestReport(lines=[f"✗ {TOO_MANY}"]), 429
    report = test_connection(form.connection())
    _show_next_to_fields(form, report)
    return report, 200


def _show_next_to_fields(form: ConnectionForm, report: TestReport) -> None:
    """Put the failures that point at one setting next to its box, as for any invalid input."""
    for name, errors in report.field_errors.items():
        for error in errors:
            form.add_error(name, error)


def sync_now(request: HttpRequest, store_id: int) -> HttpResponse:
    """Queue one sync of the store (the periodic task's), unless one is running already: a
    second would only wait for the first's claim and give up. The store is checked before the
    method, so another store's admin gets 404 whatever the method (its id reveals nothing)."""
    store = _directory_store(request, store_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not DirectoryConnection.objects.filter(store=store).exists():
        messages.error(request, "Save the directory connection before syncing.")
        return redirect("ldapsync:connection", store.pk)
    now = timezone.now()
    running = stamp(running_since(SyncStatus.objects.filter(store=store).first(), now), store, now)
    if running:
        messages.info(
            request,
            f"A sync of {store.name} is already running (started {running}); this page shows "
            "the result when it is done.",
        )
        return redirect("ldapsync:connection", store.pk)
    if queue_task(sync_store_task, store.pk):
        audit.record(store, request.user, "directory sync requested")
        messages.success(request, SYNC_QUEUED)
    else:
        audit.record(store, request.user, "directory sync requested", [
            ("result", "", f"not queued: {BROKER_UNREACHABLE}"),
        ])  # fmt: skip
        messages.error(
            request,
            f"The sync could not be queued: {BROKER_UNREACHABLE}, so nothing was started. Try "
            f"again when it is back, or run manage.py sync_directory --store {store.pk} on the "
            "server.",
        )
    return redirect("ldapsync:connection", store.pk)
