"""Per-store, per-language overrides of the notification email templates.

Overrides are written by admins, so they are compiled by a sandboxed template engine: builtin tags
and filters only, no `{% load %}` of other libraries, no `{% include %}`/`{% extends %}` of files,
and a context of plain dictionaries (no model objects whose methods or relations could be reached).
Rendering is bounded in output size, time and loop runs (template_limits.py, template_sandbox.py),
and whatever a template does wrong while rendering becomes a ValidationError, never a crash.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.template import (
    Context,
    Template,
    TemplateDoesNotExist,
    TemplateSyntaxError,
    VariableDoesNotExist,
)

from directory.models import EventKind

from .template_limits import apply_limits
from .template_sample import sample_context
from .template_sandbox import SandboxEngine

ANY_CHANGE = "any"
KIND_CHOICES = [(ANY_CHANGE, "Any change"), *EventKind.choices]
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")

SANDBOX = SandboxEngine()
TOO_DEEP = "This template nests tags too deeply."
# What a builtin tag or filter raises on a bad argument (wordwrap:0, divisibleby:0 …).
RENDER_ERRORS = (ValueError, TypeError, AttributeError, LookupError, ArithmeticError)


def validate_language(value: str) -> None:
    if not LANGUAGE_RE.match(value):
        raise ValidationError("Enter a language code such as en, de or fr-ca (lower case).")


def compile_template(source: str) -> Template:
    """Compile admin-written template text; a syntax error becomes a ValidationError."""
    try:
        template = SANDBOX.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Template syntax error: {exc}") from exc
    except RecursionError as exc:
        raise ValidationError(TOO_DEEP) from exc
    apply_limits(template.nodelist)
    return template


def render(source: str | Template, context: dict, *, html: bool = False) -> str:
    """Render within the limits; a TemplateLimitError (a ValidationError) says which one."""
    template = compile_template(source) if isinstance(source, str) else source
    try:
        return template.render(Context(context, autoescape=html))
    except RecursionError as exc:
        raise ValidationError(TOO_DEEP) from exc
    except VariableDoesNotExist as exc:  # a filter's argument; its text holds the whole context
        raise ValidationError(f"Unknown variable in a filter argument: {exc.params[0]}") from exc
    except RENDER_ERRORS as exc:
        raise ValidationError(f"This template cannot be rendered: {exc}") from exc


class EmailTemplate(models.Model):
    """Replaces the default subject and bodies for one kind of event (or any change), in one
    language, for one store. An empty HTML body renders the text body as HTML."""

    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="email_templates"
    )
    kind = models.CharField("Event", max_length=32, choices=KIND_CHOICES, default=ANY_CHANGE)
    language = models.CharField(max_length=16, default="en", validators=[validate_language])
    subject = models.CharField(max_length=500)
    body_text = models.TextField("Text body")
    body_html = models.TextField("HTML body", blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "kind", "language"], name="one_email_template_per_kind_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    def clean(self) -> None:
        """Each part must compile and render with sample data (catches `{% include %}` too)."""
        errors = {}
        for name in ("subject", "body_text", "body_html"):
            try:
                render(getattr(self, name) or "", sample_context(), html=name == "body_html")
            except ValidationError as exc:
                errors[name] = exc.messages
            except TemplateDoesNotExist as exc:
                errors[name] = [f"Templates cannot include other templates ({exc})."]
        if errors:
            raise ValidationError(errors)


# Overrides (id, last edit) that went over a render limit in this process are not rendered again
# until edited: a template that runs into the time limit costs its process once, not per event.
_over_limit: set[tuple[int, datetime]] = set()
OVER_LIMIT_KEPT = 1000


def mark_over_limit(template: EmailTemplate) -> None:
    if len(_over_limit) >= OVER_LIMIT_KEPT:
        _over_limit.clear()
    _over_limit.add((template.pk, template.updated))


def over_limit(template: EmailTemplate) -> bool:
    return (template.pk, template.updated) in _over_limit


def language_candidates(language: str) -> list[str]:
    """ "fr-ca" → ["fr-ca", "fr", "en"]: the recipient's language first, English last."""
    candidates = [language]
    if "-" in language:
        candidates.append(language.split("-", 1)[0])
    if "en" not in candidates:
        candidates.append("en")
    return candidates


def find_override(store_id: int, kind: str, language: str) -> EmailTemplate | None:
    """The most specific override: language before kind, English as the last language."""
    languages = language_candidates(language)
    found = {
        (t.kind, t.language): t
        for t in EmailTemplate.objects.filter(
            store_id=store_id, kind__in=[kind, ANY_CHANGE], language__in=languages
        )
    }
    for lang in languages:
        for k in (kind, ANY_CHANGE):
            if (k, lang) in found:
                return found[(k, lang)]
    return None
