"""The Notifications page form: every section of the spec, validated field by field.

The form is put together from one part per section of the page: the SMTP Server
(`form_smtp.py`), the second SMTP server (`form_second_server.py`) and the sending limits
(`form_limits.py`). This module holds the recipients and life-cycle fields, the provider preset,
Save and the audit entry; the rules that read several fields at once (OAuth 2.0, Number of days,
same as membership, which secret is kept, the destination policy) are in `form_rules.py`.
"""

from __future__ import annotations

from django import forms

from core import formfields
from core.display import as_text
from identitystores.audit import SECRET_CHANGED
from identitystores.models import IdentityStore

from . import presets
from .addresses import normalise_address_list
from .form_limits import LIMIT_FIELDS, LIMIT_HELP, SendingLimitFields
from .form_rules import MANAGED_BY_OWN, CrossFieldRules
from .form_second_server import (
    SECOND_FIELDS,
    SECOND_HELP,
    SECOND_LABELS,
    SECOND_WIDGETS,
    SecondServerFields,
)
from .form_smtp import SMTP_FIELDS, SMTP_HELP, SMTP_WIDGETS, SmtpServerFields
from .models import NotificationSettings
from .secret_bindings import SECRET_LABELS

ADDRESS_LIST_PLACEHOLDER = "name@example.com; other@example.com"


def days_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Number of days",
        min_value=1,
        max_value=365,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 365}),
    )


class NotificationSettingsForm(
    CrossFieldRules, SmtpServerFields, SecondServerFields, SendingLimitFields, forms.ModelForm
):
    ml_days_before = days_field()
    mb_days_before = days_field()
    preset = forms.ChoiceField(
        label="Provider preset",
        required=False,
        choices=[("", "— choose a provider —")]
        + [(key, preset.label) for key, preset in presets.PRESETS.items()],
        help_text="Fills the server, authentication and sending limits with the provider's "
        "documented values. Every value stays editable; nothing is saved until Save.",
    )

    class Meta:
        model = NotificationSettings
        fields = [
            *(name for name in SMTP_FIELDS if name not in SECRET_LABELS),
            *SECOND_FIELDS,
            "to_recipients", "cc_recipients", "notify_actor", "notify_modified_object",
            "notify_group_owners", "notify_managers", "notify_added_member",
            "notify_removed_member", "notify_public_group_owners", "portal",
            "ml_on_join", "ml_on_leave", "ml_days_before_enabled", "ml_days_before",
            "mb_same_as_membership", *MANAGED_BY_OWN, *LIMIT_FIELDS, "client_secret_expires",
        ]  # fmt: skip
        field_classes = {"portal": formfields.ModelChoiceField}
        widgets = {
            **SMTP_WIDGETS,
            **SECOND_WIDGETS,
            "client_secret_expires": forms.DateInput(attrs={"type": "date"}),
            "to_recipients": forms.TextInput(attrs={"placeholder": ADDRESS_LIST_PLACEHOLDER}),
            "cc_recipients": forms.TextInput(attrs={"placeholder": ADDRESS_LIST_PLACEHOLDER}),
        }
        labels = SECOND_LABELS
        help_texts = {
            **SMTP_HELP,
            "to_recipients": "Separate multiple addresses with a semicolon (;). All email "
            "notifications generated for the identity store are sent to these recipients.",
            "cc_recipients": "Separate multiple addresses with a semicolon (;).",
            **SECOND_HELP,
            **LIMIT_HELP,
        }

    def __init__(self, *args, store: IdentityStore, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.original = {name: getattr(self.instance, name) for name in self._tracked()}
        self.resolved_secrets: dict[str, str] = {}
        self.prefill_exchange_online_defaults()
        portal = self.fields["portal"]
        if store.supports_password_expiry:
            portal.queryset = store.portals.all()
            portal.empty_label = "— none —"
            portal.label_from_instance = lambda p: f"{p.url} ({p.name})"
        else:
            del self.fields["portal"]
        for name in self.fields:
            self.fields[name].widget.attrs.setdefault("aria-describedby", f"id_{name}_helptext")

    def with_preset(self, key: str) -> NotificationSettingsForm:
        """An unbound copy showing the values as typed with preset `key` (if any) applied, to
        review before Save: no field is marked wrong yet. Secret boxes start blank, so stored
        secrets stay as Save's rules keep them."""
        typed = {name: self[name].value() for name in self.fields if name not in SECRET_LABELS}
        if key in presets.PRESETS:
            typed.update(presets.preset_values(presets.PRESETS[key], typed), preset=key)
        return type(self)(instance=self.instance, store=self.store, initial=typed)

    @staticmethod
    def _tracked() -> list[str]:
        skip = ("id", "store", "updated")
        return [f.name for f in NotificationSettings._meta.fields if f.name not in skip]

    def clean_to_recipients(self) -> str:
        return "; ".join(normalise_address_list(self.cleaned_data["to_recipients"]))

    def clean_cc_recipients(self) -> str:
        return "; ".join(normalise_address_list(self.cleaned_data["cc_recipients"]))

    def save(self, commit: bool = True) -> NotificationSettings:
        self.apply_secrets()
        if not self.store.supports_password_expiry:
            self.instance.portal = None
        self.instance.store = self.store
        return super().save(commit=commit)

    def audit_changes(self) -> list[tuple[str, str, str]]:
        """(label, old, new) per changed setting; secrets only as "changed"."""
        changes = []
        for name, old in self.original.items():
            new = getattr(self.instance, name)
            if new == old:
                continue
            label = str(NotificationSettings._meta.get_field(name).verbose_name)
            if name in SECRET_LABELS:
                changes.append((label, "", "cleared" if not new else SECRET_CHANGED))
            else:
                changes.append((label, _as_text(old), _as_text(new)))
        return changes


def _as_text(value) -> str:
    return as_text(value, blank="—", true="on", false="off")
