"""The Directory connection page of an LDAP or Active Directory store: settings, the Test
connection button, and the sync status line."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from identitystores import audit
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from .diagnose import TestReport, test_connection
from .forms import ConnectionForm, initial_for
from .models import DirectoryConnection, SyncStatus

DIRECTORY_TYPES = {IdentityStore.Type.ACTIVE_DIRECTORY, IdentityStore.Type.LDAP}


@require_http_methods(["GET", "POST"])
def directory_connection(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if store.type not in DIRECTORY_TYPES:
        raise Http404("This identity store is not an LDAP directory.")
    instance = DirectoryConnection.objects.filter(store=store).first() or DirectoryConnection(
        store=store
    )
    initial = initial_for(store) if instance.pk is None else None
    form = ConnectionForm(request.POST or None, instance=instance, initial=initial)
    report = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":
            report = test_connection(form.connection())
            _show_next_to_fields(form, report)
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
        "status": SyncStatus.objects.filter(store=store).first(),
        "nav": "stores",
        "store_nav": "directory",
    }
    return render(request, "ldapsync/connection.html", context)


def _show_next_to_fields(form: ConnectionForm, report: TestReport) -> None:
    """Put the failures that point at one setting next to its box, as for any invalid input."""
    for name, errors in report.field_errors.items():
        for error in errors:
            form.add_error(name, error)
