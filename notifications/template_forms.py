"""The forms of the email template pages: an override of a store, and the data Preview uses.

The template's own checks (syntax, the sandbox's limits) are on the model's fields; the form
adds the one rule that needs the store's other overrides.
"""

from __future__ import annotations

from django import forms

from .models import EmailTemplate


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["kind", "language", "subject", "body_text", "body_html"]
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 12}),
            "body_html": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "language": "The recipient's language picks the template; English is the fallback.",
            "body_html": "Optional: left empty, the text body is sent as HTML too.",
        }

    def clean(self):
        """One override per store, event and language: a second would never be picked."""
        cleaned = super().clean()
        taken = (
            EmailTemplate.objects.filter(
                store_id=self.instance.store_id,
                kind=cleaned.get("kind"),
                language=cleaned.get("language"),
            )
            .exclude(pk=self.instance.pk)
            .exists()
        )
        if taken:
            self.add_error(
                "language", "This store already has a template for this event and language."
            )
        return cleaned


class PreviewSourceForm(forms.Form):
    """Which data Preview renders the draft with."""

    source = forms.ChoiceField(label="Preview with", required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = choices
