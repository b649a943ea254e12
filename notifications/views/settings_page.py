"""The store's Notifications page: load, validate, save in one transaction, audit."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from identitystores import audit, credentials
from identitystores.access import get_store_for_admin
from identitystores.models import IdentityStore

from .. import acting, acting_answers, delivery_health, exchange_basic, presets
from ..delivery import failover, lanes
from ..form_second_server import SECOND_FIELDS
from ..form_smtp import SMTP_FIELDS
from ..forms import NotificationSettingsForm
from ..models import NotificationSettings
from ..secret_bindings import SECRET_LABELS
from ..tasks import dispatch
from .notice_list import notice_list


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
    chosen = _preset_asked_for(request)
    if chosen is not None:
        retype = any(request.POST.get(secret) for secret in SECRET_LABELS)
        return _render(request, store, form.with_preset(chosen), chosen, retype_secrets=retype)
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                form.save()
                _record_destination(request, form.instance, before)
                changes = form.audit_changes()
                if changes:
                    audit.record(store, request.user, "notification settings changed", changes)
                released = _release_held_mail(form)
                _restart_failover(form)
            messages.success(request, "Notification settings saved." + released)
            return redirect("notifications:settings", store.pk)
        messages.error(request, "The settings were not saved. Correct the fields marked below.")
    return _render(request, store, form)


def _preset_asked_for(request: HttpRequest) -> str | None:
    """None for Save; for "Apply preset" (or the switch away from Basic) the preset's key, or
    "" when the list was left at "choose a provider" or names no preset."""
    if request.method != "POST" or "apply_preset" not in request.POST:
        return None
    key = request.POST["apply_preset"] or request.POST.get("preset", "")
    return key if key in presets.PRESETS else ""


def _render(
    request: HttpRequest,
    store: IdentityStore,
    form: NotificationSettingsForm,
    applied: str | None = None,
    retype_secrets: bool = False,
) -> HttpResponse:
    """The page; after Apply preset, which preset (or "" for none chosen) and whether a secret
    typed before it must be typed again (secrets are never written back into a page)."""
    context = {
        "retype_secrets": retype_secrets,
        "store": store,
        "form": form,
        "nav": "stores",
        "store_nav": "notifications",
        "presets": presets.as_json(),
        "applied_preset": presets.PRESETS.get(applied or ""),
        "preset_not_chosen": applied == "",
        "basic_to_exchange": form.basic_to_exchange_online(),
        "exchange_notice": exchange_basic.NOTICE,
        "failing": delivery_health.failing(store),
        "passwordless": credentials.is_passwordless(request),
        "notices": notice_list(store),
    }
    return render(request, "notifications/settings.html", context)


def _restart_failover(form: NotificationSettingsForm) -> None:
    """Another first or second server: what the lane knew about the old ones no longer holds,
    so the store starts again on its first server."""
    names = (*SMTP_FIELDS, *SECOND_FIELDS)
    labels = {str(NotificationSettings._meta.get_field(n).verbose_name) for n in names}
    if any(label in labels for label, _, _ in form.audit_changes()):
        failover.forget(form.instance.store_id)


def _release_held_mail(form: NotificationSettingsForm) -> str:
    """New SMTP settings release mail held because the server refused our credentials: the next
    attempt shows whether they work (and holds the mail again, using no attempt, if not)."""
    labels = {str(NotificationSettings._meta.get_field(n).verbose_name) for n in SMTP_FIELDS}
    if not any(label in labels for label, _, _ in form.audit_changes()):
        return ""
    ids = lanes.release(form.instance.store_id)
    if not ids:
        return ""
    transaction.on_commit(lambda: dispatch(ids))
    return f" {len(ids):,} held messages are sent again with the new settings."


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
