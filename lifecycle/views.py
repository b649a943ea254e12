"""A store's Schedules page: when each life-cycle job runs, run now, recent runs, the
password-expiry group. The temporary membership and owner/manager pages are in
`views_temporary`. Every view goes through get_store_for_admin."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.queueing import BROKER_UNREACHABLE, queue_task
from identitystores import audit
from identitystores.access import get_store_for_admin
from notifications.notify import settings_for

from .cron import CRON_FIELDS, Preview, preview
from .forms import PasswordExpiryGroupForm, ScheduleForm, schedule_initial
from .jobs import JOBS
from .models import ENTRA_RULE, JobRun, PasswordExpiryGroup
from .schedules import jobs_for, save_schedule, schedules
from .tasks import run_scheduled_job

RUNS_SHOWN = 10


@require_http_methods(["GET", "POST"])
def schedules_page(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    if request.method == "GET" and request.htmx and request.htmx.target == "runs":
        runs = JobRun.objects.filter(store=store)[:RUNS_SHOWN]
        return render(request, "lifecycle/_runs.html", {"store": store, "runs": runs})
    rows = schedules(store)
    bound, run_failed = None, None
    if request.method == "POST":
        action, job = request.POST.get("action"), request.POST.get("job")
        if job not in jobs_for(store):
            raise Http404("No such job.")
        if action == "run":
            if _run_now(request, store, job):
                return redirect("lifecycle:schedules", store.pk)
            run_failed = (job, _not_queued(store, job))
        else:
            bound = (job, ScheduleForm(request.POST, prefix=job))
        if bound and bound[1].is_valid():
            _save(request, store, job, bound[1].cleaned_data, rows)
            return redirect("lifecycle:schedules", store.pk)
    forms = []
    for row in rows:
        if bound and bound[0] == row.job:
            form = bound[1]
        else:
            initial = schedule_initial(row.cron, row.task.enabled)
            form = ScheduleForm(initial=initial, prefix=row.job)
        forms.append((row, form, _preview(form, store)))
    context = {
        "store": store,
        "nav": "stores",
        "store_nav": "schedules",
        "forms": forms,
        "run_failed": run_failed,
        "runs": JobRun.objects.filter(store=store)[:RUNS_SHOWN],
        "password_form": _password_form(store) if store.supports_password_expiry else None,
        "entra_rule": ENTRA_RULE,
        "portal_missing": _portal_missing(store),
    }
    return render(request, "lifecycle/schedules.html", context)


def schedule_preview(request: HttpRequest, store_id: int) -> HttpResponse:
    """The summary and next runs of the fields as typed (the page's script asks while typing).
    The access check comes first, so another store's URL is a 404 for any method; opened on its
    own, without a job of the store, it leads to the Schedules page."""
    store = get_store_for_admin(request, store_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    job = request.GET.get("job")
    if job not in jobs_for(store):
        return redirect("lifecycle:schedules", store.pk)
    form = ScheduleForm(request.GET, prefix=job)
    context = {"preview": _preview(form, store), "store": store}
    return render(request, "lifecycle/_schedule_preview.html", context)


def _preview(form: ScheduleForm, store) -> Preview:
    """Of the stored schedule for an unbound form; of the typed one once it is valid."""
    if not form.is_bound:
        cron = {name: form.initial[name] for name in CRON_FIELDS}
        return preview(cron, store.time_zone, timezone.now(), form.initial["enabled"])
    if not form.is_valid():
        return Preview(problems=[str(e) for errors in form.errors.values() for e in errors])
    data = form.cleaned_data
    return preview(data["cron"], store.time_zone, timezone.now(), data["enabled"])


def _portal_missing(store) -> bool:
    """Password-expiry warnings link to the GroupID Portal chosen in the notification settings."""
    settings = settings_for(store)
    return settings is None or settings.portal_id is None


def _run_now(request: HttpRequest, store, job: str) -> bool:
    """Queue the job, then record what happened: the history says "not queued" when the broker
    could not take it, and the page then says so next to the button (False)."""
    queued = queue_task(run_scheduled_job, store.pk, job)
    changes = [("job", "", job)]
    if not queued:
        changes.append(("result", "", f"not queued: {BROKER_UNREACHABLE}"))
    audit.record(store, request.user, "lifecycle.run_now", changes)
    if queued:
        messages.success(request, f"{JOBS[job][0]} queued to run now.")
    return queued


def _not_queued(store, job: str) -> str:
    return (
        f"Not queued: {BROKER_UNREACHABLE}, so the job did not start. Try again when it is back, "
        f"or run manage.py run_lifecycle --store {store.pk} --job {job} on the server."
    )


def _save(request, store, job: str, data: dict, rows) -> None:
    before = next(r for r in rows if r.job == job)
    cron = data["cron"]
    save_schedule(store, job, enabled=data["enabled"], **cron)
    changes = [
        (f"{job} {name}", str(before.cron[name]), str(cron[name]))
        for name in CRON_FIELDS
        if str(before.cron[name]) != str(cron[name])
    ]
    if before.task.enabled != data["enabled"]:
        changes.append((f"{job} enabled", str(before.task.enabled), str(data["enabled"])))
    audit.record(store, request.user, "lifecycle.schedule", changes)
    messages.success(request, f"{JOBS[job][0]} schedule saved.")


def _password_form(store, data=None) -> PasswordExpiryGroupForm:
    instance = PasswordExpiryGroup.objects.filter(store=store).first()
    return PasswordExpiryGroupForm(data, instance=instance, store=store)


def password_group(request: HttpRequest, store_id: int) -> HttpResponse:
    """POST only; the access check comes first, so another store's URL is a 404 for any method."""
    store = get_store_for_admin(request, store_id)
    if request.method != "POST":
        return redirect("lifecycle:schedules", store.pk)
    if not store.supports_password_expiry:
        messages.error(request, ENTRA_RULE)
        return redirect("lifecycle:schedules", store.pk)
    form = _password_form(store, request.POST)
    if form.is_valid():
        form.save()
        audit.record(store, request.user, "lifecycle.password_group", [
            ("group", "", form.instance.group.name), ("days", "", str(form.instance.days)),
        ])  # fmt: skip
        messages.success(request, "Password expiry group saved.")
    else:
        messages.error(request, "Password expiry group not saved: " + _errors(form))
    return redirect("lifecycle:schedules", store.pk)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)
