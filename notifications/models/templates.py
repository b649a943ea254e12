"""Per-store, per-language overrides of the notification email templates.

An override is admin-written text: it is checked on save by rendering it, within limits, with the
sample event (notifications/templating), and looked up at send time by store, kind and language.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.template import TemplateDoesNotExist

from directory.models import EventKind

from ..templating import render, sample_context

ANY_CHANGE = "any"
# The notices that are not about one directory change, each with its own template.
LIFECYCLE_NOTICE, PASSWORD_WARNING = "lifecycle-notice", "password-warning"
PASSWORD_DIGEST, TEST_MESSAGE = "password-digest", "test-message"
NOTICE_CHOICES = [
    (LIFECYCLE_NOTICE, "Life-cycle notice"),
    (PASSWORD_WARNING, "Password expiry warning"),
    (PASSWORD_DIGEST, "Password expiry digest"),
    (TEST_MESSAGE, "Test message"),
]
NOTICE_KINDS = [kind for kind, _label in NOTICE_CHOICES]
KIND_CHOICES = [(ANY_CHANGE, "Any change"), *EventKind.choices, *NOTICE_CHOICES]
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def validate_language(value: str) -> None:
    if not LANGUAGE_RE.match(value):
        raise ValidationError("Enter a language code such as en, de or fr-ca (lower case).")


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
        """Each part must compile and render with sample data of its kind (catches `{% include %}`
        too)."""
        errors = {}
        sample = sample_context(self.kind)
        for name in ("subject", "body_text", "body_html"):
            try:
                render(getattr(self, name) or "", sample, html=name == "body_html")
            except ValidationError as exc:
                errors[name] = exc.messages
            except TemplateDoesNotExist as exc:
                errors[name] = [f"Templates cannot include other templates ({exc})."]
        if errors:
            raise ValidationError(errors)


def language_candidates(language: str) -> list[str]:
    """ "fr-ca" → ["fr-ca", "fr", "en"]: the recipient's language first, English last."""
    candidates = [language]
    if "-" in language:
        candidates.append(language.split("-", 1)[0])
    if "en" not in candidates:
        candidates.append("en")
    return candidates


def find_override(store_id: int, kind: str, language: str) -> EmailTemplate | None:
    """The most specific override: language before kind, English as the last language. "Any
    change" stands in for directory changes only, never for a notice."""
    languages = language_candidates(language)
    kinds = [kind] if kind in NOTICE_KINDS else [kind, ANY_CHANGE]
    found = {
        (t.kind, t.language): t
        for t in EmailTemplate.objects.filter(
            store_id=store_id, kind__in=kinds, language__in=languages
        )
    }
    for lang in languages:
        for k in kinds:
            if (k, lang) in found:
                return found[(k, lang)]
    return None
