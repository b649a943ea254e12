"""The Notifications page form: every section of the spec, validated field by field.

Secrets (SMTP password, Client Secret, OAuth Password) are never rendered back. A blank secret box
keeps the stored value only while the destination it was entered for is unchanged; when the host,
port, SSL setting, authentication type, username, token endpoint or client ID changes (and, for an
app-only Client Secret, the From email address), the admin must type it again, so an edited host
never receives the old password and the tenant's app permission is not turned on another mailbox.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from core import crypto, formfields
from core.destination_fields import errors_for
from identitystores.audit import SECRET_CHANGED
from identitystores.models import IdentityStore

from .addresses import normalise_address, normalise_address_list, normalise_host
from .models import (
    EXCHANGE_ONLINE_SCOPE,
    EXCHANGE_ONLINE_TOKEN_ENDPOINT,
    NotificationSettings,
)
from .smtp_config import config_from_settings, is_graph_endpoint
from .transports.base import TransportConfig

SECRET_LABELS = {
    "smtp_password": "SMTP password",
    "client_secret": "Client Secret",
    "oauth_password": "Password",
}
# Which settings a stored secret was entered for: change one and the secret must be re-entered.
SECRET_BINDINGS = {
    "smtp_password": ("smtp_host", "port", "ssl_enabled", "auth_type", "smtp_username"),
    "client_secret": (
        "smtp_host",
        "port",
        "ssl_enabled",
        "auth_type",
        "token_endpoint",
        "client_id",
    ),
    "oauth_password": (
        "smtp_host",
        "port",
        "ssl_enabled",
        "auth_type",
        "token_endpoint",
        "client_id",
        "oauth_username",
    ),
}
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
MANAGED_BY_OWN = ("mb_on_added", "mb_on_removed", "mb_days_before_enabled", "mb_days_before")
_TENANT = re.compile(
    r"^([a-z0-9-]+(\.[a-z0-9-]+)+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)


class SecretField(forms.CharField):
    """A password box that never shows the stored value; blank means "keep"."""

    def __init__(self, label: str):
        super().__init__(
            label=label,
            required=False,
            strip=False,
            max_length=4096,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        )

    def to_python(self, value) -> str:
        return crypto.Secret(super().to_python(value))


def days_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Number of days",
        min_value=1,
        max_value=365,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 365}),
    )


class NotificationSettingsForm(forms.ModelForm):
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=25)
    ml_days_before = days_field()
    mb_days_before = days_field()
    smtp_password = SecretField("SMTP password")
    client_secret = SecretField("Client Secret")
    oauth_password = SecretField("Password")
    clear_smtp_password = forms.BooleanField(label="Clear the stored SMTP password", required=False)
    clear_client_secret = forms.BooleanField(label="Clear the stored Client Secret", required=False)
    clear_oauth_password = forms.BooleanField(label="Clear the stored Password", required=False)

    class Meta:
        model = NotificationSettings
        fields = [
            *(name for name in SMTP_FIELDS if name not in SECRET_LABELS),
            "to_recipients", "cc_recipients", "notify_actor", "notify_modified_object",
            "notify_group_owners", "notify_managers", "notify_added_member",
            "notify_removed_member", "notify_public_group_owners", "portal",
            "ml_on_join", "ml_on_leave", "ml_days_before_enabled", "ml_days_before",
            "mb_same_as_membership", *MANAGED_BY_OWN,
        ]  # fmt: skip
        field_classes = {"portal": formfields.ModelChoiceField}
        widgets = {
            "auth_type": forms.RadioSelect,
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
        return url

    def clean_smtp_username(self) -> str:
        return _single_line(self.cleaned_data["smtp_username"].strip(), "SMTP username")

    def clean_oauth_username(self) -> str:
        return _single_line(self.cleaned_data["oauth_username"].strip(), "Username")

    def clean_client_id(self) -> str:
        return _single_line(self.cleaned_data["client_id"].strip(), "Client ID")

    def clean_scope(self) -> str:
        return _single_line(self.cleaned_data["scope"].strip(), "Scope")

    # --- cross-field rules -------------------------------------------------------------------
    def clean(self) -> dict:
        data = super().clean()
        for name in ("smtp_host", "from_email"):
            if name in data and not data[name] and not self.has_error(name):
                self.add_error(name, "This field is required.")
        self._keep_managed_by_when_same_as_membership(data)
        self._require_days("ml_days_before_enabled", "ml_days_before")
        if not data.get("mb_same_as_membership"):
            self._require_days("mb_days_before_enabled", "mb_days_before")
        if data.get("use_smtp_auth"):
            if data.get("auth_type") == NotificationSettings.AuthType.BASIC:
                self._require("smtp_username", "Enter the SMTP username.")
            else:
                self._clean_oauth(data)
        self._resolve_secrets(data)
        for name, message in errors_for(_destinations(data)).items():
            if not self.has_error(name):
                self.add_error(name, message)
        return data

    def _keep_managed_by_when_same_as_membership(self, data: dict) -> None:
        """When ticked, the section's own boxes are disabled: their stored values stay."""
        if data.get("mb_same_as_membership"):
            for name in MANAGED_BY_OWN:
                data[name] = self.original[name]
                self.errors.pop(name, None)

    def _require_days(self, box: str, number: str) -> None:
        if (
            self.cleaned_data.get(box)
            and not self.cleaned_data.get(number)
            and not self.has_error(number)
        ):
            self.add_error(number, "Enter a number of days from 1 to 365.")

    def _require(self, name: str, message: str) -> None:
        if not self.cleaned_data.get(name) and not self.has_error(name):
            self.add_error(name, message)

    def _clean_oauth(self, data: dict) -> None:
        self._require("token_endpoint", "Enter the Token Endpoint.")
        self._require("client_id", "Enter the Client ID.")
        self._require("scope", "Enter the Scope.")
        graph = is_graph_endpoint(data.get("token_endpoint", ""))
        scope = data.get("scope", "")
        if graph and scope and not _TENANT.match(scope) and not self.has_error("scope"):
            self.add_error(
                "scope",
                "For the Office 365 provider, enter the tenant name, e.g. abcd.onmicrosoft.com.",
            )
        has_user = bool(data.get("oauth_username"))
        has_password = bool(self._secret_after_save("oauth_password", data))
        if has_user and not has_password and not self.has_error("oauth_password"):
            self.add_error("oauth_password", self._missing_secret_message("oauth_password", data))
        if has_password and not has_user and not self.has_error("oauth_username"):
            self.add_error("oauth_username", "Enter the Username that goes with the Password.")

    def _required_secrets(self, data: dict) -> list[str]:
        if not data.get("use_smtp_auth"):
            return []
        if data.get("auth_type") == NotificationSettings.AuthType.BASIC:
            return ["smtp_password"]
        return ["client_secret"]

    def _destination_changed(self, secret: str, data: dict) -> bool:
        return any(self._changed(name, data) for name in _bindings(secret, data))

    def _changed(self, name: str, data: dict) -> bool:
        return name in data and data[name] != self.original[name]

    def _secret_after_save(self, secret: str, data: dict) -> str:
        typed = data.get(secret) or ""
        if typed:
            return typed
        if data.get(f"clear_{secret}") or self._destination_changed(secret, data):
            return ""
        return self.original[secret]

    def _missing_secret_message(self, secret: str, data: dict) -> str:
        label = SECRET_LABELS[secret]
        if self.original[secret] and self._destination_changed(secret, data):
            if secret == "client_secret" and self._changed("from_email", data):
                return (
                    "The From email address changed, and an app-only Client Secret sends as "
                    "that mailbox, so the stored Client Secret is not carried over. "
                    "Enter the Client Secret again."
                )
            return (
                f"The server settings changed, so the stored {label} is not carried over. "
                f"Enter the {label} again."
            )
        return f"Enter the {label}."

    def _resolve_secrets(self, data: dict) -> None:
        for secret in SECRET_LABELS:
            self.resolved_secrets[secret] = self._secret_after_save(secret, data)
        for secret in self._required_secrets(data):
            if not self.resolved_secrets[secret] and not self.has_error(secret):
                self.add_error(secret, self._missing_secret_message(secret, data))

    # --- results --------------------------------------------------------------------------
    def smtp_errors(self) -> dict[str, list[str]]:
        """Errors of the SMTP Server section only: what blocks a Test Server attempt."""
        return {name: errs for name, errs in self.errors.items() if name in SMTP_FIELDS}

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
                changes.append((label, _display(old), _display(new)))
        return changes


def _bindings(secret: str, data: dict) -> tuple[str, ...]:
    """An app-only Client Secret (no Username) sends as the From mailbox — any mailbox of the
    tenant — so the From address (and dropping the Username) is part of what it was entered for."""
    if secret == "client_secret" and not data.get("oauth_username"):
        return (*SECRET_BINDINGS[secret], "from_email", "oauth_username")
    return SECRET_BINDINGS[secret]


def _destinations(data: dict) -> list[tuple[str, str, int]]:
    """(field, host, port) this server would connect to: the SMTP Server and, with OAuth 2.0,
    the Token Endpoint."""
    found = []
    if data.get("smtp_host") and data.get("port"):
        found.append(("smtp_host", data["smtp_host"], data["port"]))
    oauth = data.get("use_smtp_auth") and data.get("auth_type") == (
        NotificationSettings.AuthType.OAUTH2
    )
    if oauth and data.get("token_endpoint"):
        url = urlsplit(data["token_endpoint"])
        try:
            port = url.port or 443
        except ValueError:
            return found  # the field's own rule already refused it
        if url.hostname:
            found.append(("token_endpoint", url.hostname, port))
    return found


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


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
