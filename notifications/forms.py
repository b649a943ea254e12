"""The Notifications page form: every section of the spec, validated field by field.

This module holds the fields, each field's own cleaning, Save and the audit entry; the rules
that read several fields at once (OAuth 2.0, Number of days, same as membership, which secret is
kept, the destination policy) are in form_rules.py. Secrets are `core.secrets.SecretField`s,
never rendered back: a blank box keeps the stored secret only while the server it was entered for
is unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from core import formfields
from core.display import as_text
from core.secrets import SecretField
from identitystores.audit import SECRET_CHANGED
from identitystores.models import IdentityStore

from . import presets
from .addresses import normalise_address, normalise_address_list, normalise_host
from .exchange_basic import signs_in_with_basic_to_exchange
from .form_rules import MANAGED_BY_OWN, SECRET_LABELS, CrossFieldRules
from .models import (
    EXCHANGE_ONLINE_SCOPE,
    EXCHANGE_ONLINE_TOKEN_ENDPOINT,
    NotificationSettings,
)
from .smtp_config import config_from_settings
from .transports.base import TransportConfig

SMTP_FIELDS = (
    "smtp_host",
    "from_email",
    "port",
    "ssl_enabled",
    "use_smtp_auth",
    "auth_type",
    "smtp_username",
    "smtp_password",
    "token_endpoint",
    "client_id",
    "client_secret",
    "scope",
    "oauth_username",
    "oauth_password",
)

# Second SMTP server (used when the first fails): where it connects, and after how long.
SECOND_FIELDS = ("second_smtp_host", "second_port", "second_ssl_enabled", "switch_after")

LIMIT_FIELDS = (
    "max_connections",
    "max_messages_per_minute",
    "max_recipients_per_message",
    "max_recipients_per_day",
)
LIMIT_HELP = {
    "max_connections": "At most this many connections at once. Exchange Online allows 3.",
    "max_messages_per_minute": "Exchange Online allows 30 messages a minute per mailbox.",
    "max_recipients_per_message": "Larger notifications are sent in parts. Exchange Online: 500.",
    "max_recipients_per_day": "Mail beyond it waits for the next day (00:00 UTC). "
    "Exchange Online: 10,000.",
}


def limit_field(label: str, maximum: int) -> forms.IntegerField:
    """A sending limit: blank for none, else a whole number from 1."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=maximum,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": maximum, "placeholder": "No limit"}),
    )


def days_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Number of days",
        min_value=1,
        max_value=365,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 365}),
    )


class NotificationSettingsForm(CrossFieldRules, forms.ModelForm):
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=25)
    ml_days_before = days_field()
    mb_days_before = days_field()
    second_port = forms.IntegerField(
        label="Second server port",
        min_value=1,
        max_value=65535,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 65535, "placeholder": "25"}),
    )
    switch_after = forms.IntegerField(
        label="Switch after",
        min_value=1,
        max_value=1440,
        required=False,
        help_text="Minutes the first server must have been unreachable or refusing service "
        "before mail goes to the second.",
        widget=forms.NumberInput(attrs={"min": 1, "max": 1440, "placeholder": "5"}),
    )
    max_connections = limit_field("Concurrent connections", 100)
    max_messages_per_minute = limit_field("Messages per minute", 1_000_000)
    max_recipients_per_message = limit_field("Recipients per message", 100_000)
    max_recipients_per_day = limit_field("Recipients per day", 100_000_000)
    smtp_password = SecretField("SMTP password")
    client_secret = SecretField("Client Secret")
    oauth_password = SecretField("Password")
    clear_smtp_password = forms.BooleanField(label="Clear the stored SMTP password", required=False)
    clear_client_secret = forms.BooleanField(label="Clear the stored Client Secret", required=False)
    clear_oauth_password = forms.BooleanField(label="Clear the stored Password", required=False)
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
            "auth_type": forms.RadioSelect,
            "client_secret_expires": forms.DateInput(attrs={"type": "date"}),
            "to_recipients": forms.TextInput(
                attrs={"placeholder": "name@example.com; other@example.com"}
            ),
            "cc_recipients": forms.TextInput(
                attrs={"placeholder": "name@example.com; other@example.com"}
            ),
            "smtp_host": forms.TextInput(
                attrs={"placeholder": "smtp.office365.com", "autocomplete": "off"}
            ),
            "from_email": forms.TextInput(attrs={"placeholder": "notifications@example.com"}),
            "second_smtp_host": forms.TextInput(
                attrs={"placeholder": "smtp2.example.com", "autocomplete": "off"}
            ),
        }
        labels = {
            "second_smtp_host": "Second SMTP server",
            "second_ssl_enabled": "Second server uses SSL",
        }
        help_texts = {
            "smtp_host": "Fully qualified domain name or IP address of the SMTP server.",
            "token_endpoint": (
                "Exchange Online: " + EXCHANGE_ONLINE_TOKEN_ENDPOINT + ". For the Office 365 "
                "provider, the Graph endpoint of your cloud, e.g. https://graph.microsoft.com/v1.0."
            ),
            "scope": (
                "Exchange Online: " + EXCHANGE_ONLINE_SCOPE + ". For the Office 365 provider, "
                "the tenant name, e.g. abcd.onmicrosoft.com."
            ),
            "oauth_username": "Leave Username and Password blank to use the app's own permission "
            "(client credentials); the From email address is then the sending mailbox.",
            "to_recipients": "Separate multiple addresses with a semicolon (;). All email "
            "notifications generated for the identity store are sent to these recipients.",
            "cc_recipients": "Separate multiple addresses with a semicolon (;).",
            "second_smtp_host": "Optional. Uses the same From address, authentication and "
            "credentials as the first server. Leave blank for none.",
            **LIMIT_HELP,
        }

    def __init__(self, *args, store: IdentityStore, **kwargs):
        super().__init__(*args, **kwargs)
        self.store = store
        self.original = {name: getattr(self.instance, name) for name in self._tracked()}
        self.resolved_secrets: dict[str, str] = {}
        self._prefill_exchange_online_defaults()
        portal = self.fields["portal"]
        if store.supports_password_expiry:
            portal.queryset = store.portals.all()
            portal.empty_label = "— none —"
            portal.label_from_instance = lambda p: f"{p.url} ({p.name})"
        else:
            del self.fields["portal"]
        for name in self.fields:
            self.fields[name].widget.attrs.setdefault("aria-describedby", f"id_{name}_helptext")

    # --- display helpers -------------------------------------------------------------------
    def secret_is_set(self) -> dict[str, bool]:
        return {name: bool(self.original[name]) for name in SECRET_LABELS}

    def basic_to_exchange_online(self) -> bool:
        """The values shown sign in with Basic to Exchange Online, which is turning Basic off."""
        return signs_in_with_basic_to_exchange(
            self["smtp_host"].value() or "",
            bool(self["use_smtp_auth"].value()),
            self["auth_type"].value() or "",
        )

    def with_preset(self, key: str) -> NotificationSettingsForm:
        """An unbound copy showing the values as typed with preset `key` (if any) applied, to
        review before Save: no field is marked wrong yet. Secret boxes start blank, so stored
        secrets stay as Save's rules keep them."""
        typed = {name: self[name].value() for name in self.fields if name not in SECRET_LABELS}
        if key in presets.PRESETS:
            typed.update(presets.preset_values(presets.PRESETS[key], typed), preset=key)
        return type(self)(instance=self.instance, store=self.store, initial=typed)

    def _prefill_exchange_online_defaults(self) -> None:
        if not self.instance.token_endpoint:
            self.initial.setdefault("token_endpoint", EXCHANGE_ONLINE_TOKEN_ENDPOINT)
        if not self.instance.scope:
            self.initial.setdefault("scope", EXCHANGE_ONLINE_SCOPE)

    @staticmethod
    def _tracked() -> list[str]:
        skip = ("id", "store", "updated")
        return [f.name for f in NotificationSettings._meta.fields if f.name not in skip]

    # --- field rules ---------------------------------------------------------------------
    def clean_smtp_host(self) -> str:
        return normalise_host(self.cleaned_data["smtp_host"])

    def clean_second_smtp_host(self) -> str:
        """Optional: blank means no second server."""
        host = self.cleaned_data["second_smtp_host"]
        return normalise_host(host) if host.strip() else ""

    def clean_second_port(self) -> int:
        """Blank keeps the saved port (25 until one is set)."""
        return self.cleaned_data["second_port"] or self.original["second_port"]

    def clean_switch_after(self) -> int:
        return self.cleaned_data["switch_after"] or self.original["switch_after"]

    def clean_from_email(self) -> str:
        return normalise_address(self.cleaned_data["from_email"])

    def clean_to_recipients(self) -> str:
        return "; ".join(normalise_address_list(self.cleaned_data["to_recipients"]))

    def clean_cc_recipients(self) -> str:
        return "; ".join(normalise_address_list(self.cleaned_data["cc_recipients"]))

    def clean_token_endpoint(self) -> str:
        url = self.cleaned_data["token_endpoint"].strip()
        if url and not _is_https_url(url):
            raise ValidationError(
                "Enter an https:// address, such as " + EXCHANGE_ONLINE_TOKEN_ENDPOINT + "."
            )
        if presets.TENANT_PLACEHOLDER in url:
            raise ValidationError(
                "Replace <tenant> with your tenant ID or domain, e.g. contoso.onmicrosoft.com."
            )
        return url

    def clean_smtp_username(self) -> str:
        return _single_line(self.cleaned_data["smtp_username"].strip(), "SMTP username")

    def clean_oauth_username(self) -> str:
        return _single_line(self.cleaned_data["oauth_username"].strip(), "Username")

    def clean_client_id(self) -> str:
        return _single_line(self.cleaned_data["client_id"].strip(), "Client ID")

    def clean_scope(self) -> str:
        return _single_line(self.cleaned_data["scope"].strip(), "Scope")

    # --- results --------------------------------------------------------------------------
    def smtp_errors(self) -> dict[str, list[str]]:
        """Errors of the SMTP Server section only: what blocks a Test Server attempt."""
        tested = (*SMTP_FIELDS, *SECOND_FIELDS)
        return {name: errs for name, errs in self.errors.items() if name in tested}

    def transport_config(self) -> TransportConfig:
        """The configuration as typed (unsaved edits included), for the Test Server button."""
        self._apply_secrets()
        return config_from_settings(self.instance)

    def _apply_secrets(self) -> None:
        for secret, value in self.resolved_secrets.items():
            setattr(self.instance, secret, value)

    def save(self, commit: bool = True) -> NotificationSettings:
        self._apply_secrets()
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


def _is_https_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in url)


def _single_line(value: str, label: str) -> str:
    if any(ch in value for ch in "\r\n\0"):
        raise ValidationError(f"The {label} must be a single line.")
    return value


def _as_text(value) -> str:
    return as_text(value, blank="—", true="on", false="off")
