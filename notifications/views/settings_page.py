"""The store's Notifications page: load, validate, save in one transaction, audit."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from identitystores import audit
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from .. import acting, acting_answers
from ..form_rules import SECRET_LABELS
from ..forms import NotificationSettingsForm
from ..models import NotificationSettings
from .template_sources import notice_list


def settings_for(store: IdentityStore) -> NotificationSettings:
    """The store's settings row, or an unsaved one with defaults (created on first Save)."""
    try:
        return store.notification_settings
    except NotificationSettings.DoesNotExist:
        return NotificationSettings(store=store)


@sensitive_post_parameters(*SECRET_LABELS)
@require_http_methods(["GET", "POST"])
def notifications_page(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    instance = settings_for(store)
    before = acting.destination_of(instance) if instance.pk else None
    form = NotificationSettingsForm(request.POST or None, instance=instance, store=store)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
                _record_destination(request, form.instance, before)
                changes = form.audit_changes()
                if changes:
                    audit.record(store, request.user, "notification settings changed", changes)
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:settings", store.pk)
        messages.error(request, "The settings were not saved. Correct the fields marked below.")
    context = {
        "store": store,
        "form": form,
        "notices": notice_list(store),
        "nav": "stores",
        "store_nav": "notifications",
    }
    return render(request, "notifications/settings.html", context)


def _record_destination(
    request: HttpRequest, saved: NotificationSettings, before: acting.Destination | None
) -> None:
    """Saving a new destination names who set it and trusts it for the saver's own sign-in.

    Saving the page without touching a server another admin set trusts nothing: that takes the
    banner's Confirm, so an unrelated edit (a CC address) cannot approve it by accident.
    """
    current = acting.destination_of(saved)
    if current != before:
        saved.destination_set_by = request.user
        saved.destination_set_at = timezone.now()
        saved.save(update_fields=["destination_set_by", "destination_set_at"])
    if current.host and saved.destination_set_by_id == request.user.pk:
        acting.record_decision(request.user, current, acting.Decision.SAVED)
    acting_answers.release_if_unneeded(saved.store, saved)
