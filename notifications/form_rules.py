"""Cross-field rules of the Notifications page: what one field asks of another.

forms.py holds the fields, each field's own cleaning, saving and the audit entry; the rules that
read several fields at once live here, each in its own method: the required SMTP server and From
address, the Number of days behind a ticked box, "same as membership", the OAuth 2.0 fields,
which secret the settings hold after Save (by the bindings of `secret_bindings.py`), and where
the settings would connect (the SMTP server and token endpoint, checked against the outbound
destination policy).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from core.destination_fields import errors_for

from .models import NotificationSettings
from .secret_bindings import SECRET_LABELS, binding
from .smtp_config import is_graph_endpoint

MANAGED_BY_OWN = ("mb_on_added", "mb_on_removed", "mb_days_before_enabled", "mb_days_before")
_TENANT = re.compile(
    r"^([a-z0-9-]+(\.[a-z0-9-]+)+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)


class CrossFieldRules:
    """The page form's `clean()`: a mixin for NotificationSettingsForm, which provides
    `original` (the saved values) and receives `resolved_secrets` (the secrets after Save)."""

    original: dict[str, Any]
    resolved_secrets: dict[str, str]

    def clean(self) -> dict[str, Any]:
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
        self._check_second_server(data)
        self._resolve_secrets(data)
        for name, message in errors_for(_destinations(data)).items():
            if not self.has_error(name):
                self.add_error(name, message)
        return data

    def _keep_managed_by_when_same_as_membership(self, data: dict[str, Any]) -> None:
        """When ticked, the section's own boxes are disabled: their stored values stay."""
        if data.get("mb_same_as_membership"):
            for name in MANAGED_BY_OWN:
                data[name] = self.original[name]
                self.errors.pop(name, None)

    def _check_second_server(self, data: dict[str, Any]) -> None:
        """A second server that is the first one again would never help."""
        host = data.get("second_smtp_host")
        same = (host, data.get("second_port")) == (data.get("smtp_host"), data.get("port"))
        if host and same and not self.has_error("second_smtp_host"):
            self.add_error(
                "second_smtp_host",
                "The second SMTP server is the first one (same host and port): enter another "
                "server, or leave it blank.",
            )

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

    def _clean_oauth(self, data: dict[str, Any]) -> None:
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
            self.add_error("oauth_password", self._missing_secret("oauth_password", data))
        if has_password and not has_user and not self.has_error("oauth_username"):
            self.add_error("oauth_username", "Enter the Username that goes with the Password.")

    def _secret_after_save(self, secret: str, data: dict[str, Any]) -> str:
        return binding(secret, data).after_save(
            data.get(secret) or "",
            self.original[secret],
            self.original,
            data,
            clear=bool(data.get(f"clear_{secret}")),
        )

    def _missing_secret(self, secret: str, data: dict[str, Any]) -> str:
        return binding(secret, data).message(self.original[secret], self.original, data)

    def _resolve_secrets(self, data: dict[str, Any]) -> None:
        for secret in SECRET_LABELS:
            self.resolved_secrets[secret] = self._secret_after_save(secret, data)
        for secret in _required_secrets(data):
            if not self.resolved_secrets[secret] and not self.has_error(secret):
                self.add_error(secret, self._missing_secret(secret, data))


def _required_secrets(data: dict[str, Any]) -> list[str]:
    if not data.get("use_smtp_auth"):
        return []
    if data.get("auth_type") == NotificationSettings.AuthType.BASIC:
        return ["smtp_password"]
    return ["client_secret"]


def _destinations(data: dict) -> list[tuple[str, str, int]]:
    """(field, host, port) this server would connect to: the SMTP Server, the second SMTP
    server and, with OAuth 2.0, the Token Endpoint."""
    found = []
    if data.get("smtp_host") and data.get("port"):
        found.append(("smtp_host", data["smtp_host"], data["port"]))
    if data.get("second_smtp_host") and data.get("second_port"):
        found.append(("second_smtp_host", data["second_smtp_host"], data["second_port"]))
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
