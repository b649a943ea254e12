"""The SMTP Server section of the Notifications page: its fields, each field's own cleaning,
and what the Test Server button reads from it.

Secrets are `core.secrets.SecretField`s, never rendered back: a blank box keeps the stored
secret only while the server it was entered for is unchanged (`secret_bindings.py`; which secret
is kept is decided in `form_rules.py`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from core.secrets import SecretField

from . import presets
from .addresses import normalise_address, normalise_host
from .exchange_basic import signs_in_with_basic_to_exchange
from .form_second_server import SECOND_FIELDS
from .models import EXCHANGE_ONLINE_SCOPE, EXCHANGE_ONLINE_TOKEN_ENDPOINT
from .secret_bindings import SECRET_LABELS
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
SMTP_WIDGETS = {
    "auth_type": forms.RadioSelect,
    "smtp_host": forms.TextInput(
        attrs={"placeholder": "smtp.office365.com", "autocomplete": "off"}
    ),
    "from_email": forms.TextInput(attrs={"placeholder": "notifications@example.com"}),
}
SMTP_HELP = {
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
}


class SmtpServerFields(forms.Form):
    """Mixed into the page's model form, which provides `original` (the saved values) and
    `resolved_secrets` (the secrets after Save, filled by its `clean()`)."""

    original: dict[str, Any]
    resolved_secrets: dict[str, str]

    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=25)
    smtp_password = SecretField("SMTP password")
    client_secret = SecretField("Client Secret")
    oauth_password = SecretField("Password")
    clear_smtp_password = forms.BooleanField(label="Clear the stored SMTP password", required=False)
    clear_client_secret = forms.BooleanField(label="Clear the stored Client Secret", required=False)
    clear_oauth_password = forms.BooleanField(label="Clear the stored Password", required=False)

    def secret_is_set(self) -> dict[str, bool]:
        return {name: bool(self.original[name]) for name in SECRET_LABELS}

    def basic_to_exchange_online(self) -> bool:
        """The values shown sign in with Basic to Exchange Online, which is turning Basic off."""
        return signs_in_with_basic_to_exchange(
            self["smtp_host"].value() or "",
            bool(self["use_smtp_auth"].value()),
            self["auth_type"].value() or "",
        )

    def prefill_exchange_online_defaults(self) -> None:
        """An empty Token Endpoint or Scope shows Exchange Online's, the common case."""
        if not self.instance.token_endpoint:
            self.initial.setdefault("token_endpoint", EXCHANGE_ONLINE_TOKEN_ENDPOINT)
        if not self.instance.scope:
            self.initial.setdefault("scope", EXCHANGE_ONLINE_SCOPE)

    def clean_smtp_host(self) -> str:
        return normalise_host(self.cleaned_data["smtp_host"])

    def clean_from_email(self) -> str:
        return normalise_address(self.cleaned_data["from_email"])

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

    def smtp_errors(self) -> dict[str, list[str]]:
        """Errors of the SMTP Server section only: what blocks a Test Server attempt."""
        tested = (*SMTP_FIELDS, *SECOND_FIELDS)
        return {name: errs for name, errs in self.errors.items() if name in tested}

    def transport_config(self) -> TransportConfig:
        """The configuration as typed (unsaved edits included), for the Test Server button."""
        self.apply_secrets()
        return config_from_settings(self.instance)

    def apply_secrets(self) -> None:
        """Put the secrets Save keeps (or the new ones typed) on the instance."""
        for secret, value in self.resolved_secrets.items():
            setattr(self.instance, secret, value)


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
