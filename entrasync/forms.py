"""The Entra ID connection form. The client secret is never rendered back; a blank box keeps the
stored one only while where it goes is unchanged (`core.secrets`): tenant, client ID, national
cloud and the two override URLs. Override URLs must pass the outbound destination policy."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms

from core import destinations
from core.secrets import BoundSecret, SecretField, exact
from identitystores.audit import SECRET_CHANGED

from .models import EntraConnection

CLIENT_SECRET = BoundSecret(
    ("tenant", "client_id", "cloud", "authority_url", "graph_url"),
    when_blank="Enter the client secret (its Value, from Certificates & secrets).",
    when_moved="The tenant, client ID, cloud or URLs changed, so the stored secret is not "
    "carried over. Enter the client secret again.",
    normalise=exact,
)
MAX_TIMEOUT = 120
GROUP_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
AUDITED = [
    "tenant", "client_id", "cloud", "authority_url", "graph_url", "timeout", "sync_enabled",
    "write_back", "secret_expires", "signin_enabled", "signin_group",
]  # fmt: skip


OVERRIDE_HELP = "Leave blank for the national cloud's own. For a proxy in front of Microsoft."


class EntraConnectionForm(forms.ModelForm):
    client_secret = SecretField("Client secret")
    # Checked by `_checked_url` (https only, destination policy), not by a URL field's scheme guess.
    authority_url = forms.CharField(
        label="Sign-in URL (override)", required=False, help_text=OVERRIDE_HELP
    )
    graph_url = forms.CharField(
        label="Graph URL (override)", required=False, help_text=OVERRIDE_HELP
    )

    class Meta:
        model = EntraConnection
        fields = AUDITED
        widgets = {"secret_expires": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original = {name: getattr(self.instance, name) for name in AUDITED}
        self.original["client_secret"] = self.instance.client_secret
        stored = bool(self.instance.client_secret)
        self.fields["client_secret"].help_text = (
            "A secret is stored. Leave blank to keep it." if stored else "Not set."
        )

    def clean_tenant(self) -> str:
        tenant = self.cleaned_data["tenant"].strip()
        if not tenant or "/" in tenant or " " in tenant:
            raise forms.ValidationError(
                "Enter the directory (tenant) ID or a verified domain, such as "
                "contoso.onmicrosoft.com."
            )
        return tenant

    def clean_authority_url(self) -> str:
        return _checked_url(self.cleaned_data["authority_url"])

    def clean_graph_url(self) -> str:
        return _checked_url(self.cleaned_data["graph_url"])

    def clean_signin_group(self) -> str:
        group = self.cleaned_data["signin_group"].strip()
        if group and not GROUP_ID.fullmatch(group):
            raise forms.ValidationError(
                "Enter the group's object ID (a GUID such as "
                "00000000-0000-0000-0000-000000000000), or leave blank."
            )
        return group.lower()

    def clean_timeout(self) -> int:
        timeout = self.cleaned_data["timeout"]
        if not 1 <= timeout <= MAX_TIMEOUT:
            raise forms.ValidationError(f"Enter a timeout from 1 to {MAX_TIMEOUT} seconds.")
        return timeout

    def clean(self):
        data = super().clean()
        stored = self.original["client_secret"]
        typed = data.get("client_secret") or ""
        self.resolved_secret = CLIENT_SECRET.after_save(typed, stored, self.original, data)
        if not self.resolved_secret:
            self.add_error("client_secret", CLIENT_SECRET.message(stored, self.original, data))
        return data

    def connection(self) -> EntraConnection:
        """The settings as typed (unsaved), for the Test connection button."""
        conn = self.instance
        conn.client_secret = self.resolved_secret
        return conn

    def save(self, commit: bool = True) -> EntraConnection:
        conn = super().save(commit=False)
        conn.client_secret = self.resolved_secret
        if commit:
            conn.save()
        return conn

    def audit_changes(self) -> list[tuple[str, str, str]]:
        found = [
            (name, str(self.original[name]), str(getattr(self.instance, name)))
            for name in AUDITED
            if self.original[name] != getattr(self.instance, name)
        ]
        if self.original["client_secret"] != self.instance.client_secret:
            found.append(("client_secret", SECRET_CHANGED, SECRET_CHANGED))
        return found


def _checked_url(url: str) -> str:
    """An https URL whose host this server may connect to (or blank: the cloud's own)."""
    url = url.strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise forms.ValidationError("Enter an https:// URL, or leave blank for the cloud's own.")
    try:
        destinations.check(parts.hostname, parts.port or 443)
    except destinations.DestinationRefused as exc:
        raise forms.ValidationError(str(exc)) from None
    return url
