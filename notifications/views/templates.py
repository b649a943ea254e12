"""Email template overrides of a store: list, edit with a syntax check, preview with sample data
or a recent real event or notice of the store (template_sources)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core import confirm
from identitystores.access import get_store_for_admin

from .. import template_undo
from ..compose import Content, render_content
from ..models import NOTICE_KINDS, EmailTemplate
from ..template_forms import EmailTemplateForm, PreviewSourceForm
from . import template_sources


def template_list(request: HttpRequest, store_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    context = {
        "store": store,
        "templates": [(t, delete_question(t)) for t in EmailTemplate.objects.filter(store=store)],
        "delete_detail": DELETE_DETAIL,
        "undo": template_undo.deleted(request, store),
        "nav": "stores",
        "store_nav": "directory_objects",
    }
    return render(request, "directory/email_templates.html", context)


@require_http_methods(["GET", "POST"])
def template_edit(
    request: HttpRequest, store_id: int, template_id: int | None = None
) -> HttpResponse:
    store = get_store_for_admin(request, store_id)
    instance = (
        get_object_or_404(EmailTemplate, store=store, pk=template_id)
        if template_id
        else _new_override(store, request.GET.get("kind", ""))
    )
    form = EmailTemplateForm(request.POST or None, instance=instance)
    kind = form.data.get("kind", instance.kind) if form.is_bound else instance.kind
    sources = PreviewSourceForm(request.POST or None, choices=template_sources.choices(store, kind))
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = _preview(store, form, sources)
        else:
            saved = form.save()
            messages.success(request, f"Template “{saved}” saved.")
            return redirect("notifications:email_template_edit", store.pk, saved.pk)
    context = {
        "store": store,
        "form": form,
        "sources": sources,
        "template": instance if template_id else None,
        "preview": preview,
        "placeholders": template_sources.placeholders(kind),
        "nav": "stores",
        "store_nav": "directory_objects",
    }
    return render(request, "directory/email_template_form.html", context)


def _new_override(store, kind: str) -> EmailTemplate:
    """A new override of `kind` (a notice kind from the Notifications page's list, or a change
    notification), starting from the default text of that kind."""
    kind = kind if kind in NOTICE_KINDS else "any"
    return EmailTemplate(store=store, kind=kind, **template_sources.default_sources(kind))


def template_delete(request: HttpRequest, store_id: int, template_id: int) -> HttpResponse:
    store = get_store_for_admin(request, store_id)  # before the method check: no hint it exists
    template = get_object_or_404(EmailTemplate, store=store, pk=template_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not confirm.confirmed(request):
        return confirm.ask(
            request,
            question=delete_question(template),
            button="Delete",
            cancel_url=reverse("notifications:email_templates", args=[store.pk]),
            detail=DELETE_DETAIL,
            context={"store": store, "nav": "stores", "store_nav": "directory_objects"},
        )
    template_undo.remember(request, template)
    template.delete()
    messages.success(request, f"Template “{template}” deleted; the default applies again.")
    return redirect("notifications:email_templates", store.pk)


def template_restore(request: HttpRequest, store_id: int) -> HttpResponse:
    """Undo delete: the override this admin deleted last in this store comes back as it was."""
    store = get_store_for_admin(request, store_id)  # before the method check: no hint it exists
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    restored = template_undo.restore(request, store)
    if restored is None:
        messages.warning(
            request,
            "Nothing restored: there is no deleted override to bring back, or an override for "
            "the same event and language exists again.",
        )
    else:
        messages.success(request, f"Template “{restored}” restored.")
    return redirect("notifications:email_templates", store.pk)


DELETE_DETAIL = "Notifications of this event and language use the default text again."


def delete_question(template: EmailTemplate) -> str:
    """The question asked before an override goes, in the dialog and on the confirmation page."""
    return f"Delete the template override “{template}”?"


def _preview(store, form: EmailTemplateForm, sources: PreviewSourceForm) -> Content | None:
    """The parts rendered with the chosen data. Each part passed the limits on its own in the
    form's check; the HTML made from the text body when there is none can still go over them."""
    if not sources.is_valid():
        return None
    choice = sources.cleaned_data["source"] or template_sources.SAMPLE
    context = template_sources.context_for(store, form.cleaned_data["kind"], choice)
    if context is None:
        sources.add_error("source", "Pick sample data or a recent event or notice of this kind.")
        return None
    try:
        return render_content(
            {p: form.cleaned_data[p] for p in ("subject", "body_text", "body_html")}, context
        )
    except ValidationError as exc:
        form.add_error("body_html", exc)
        return None
