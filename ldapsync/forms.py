"""The Directory connection form. The bind password is never rendered back; a blank box keeps
the stored one only while its destination is unchanged (`core.secrets`): the URLs (host, port and
TLS mode), the bind DN and the CA certificate that decides which servers are trusted, compared
without their white space. So an edited URL, or a CA that would let another server pass as the
directory, never receives the old password.

Each URL must pass the outbound destination policy (`core.destinations`) to be saved."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms

from core.secrets import BoundSecret, SecretField, ignore_white_space
from identitystores.audit import SECRET_CHANGED

from .connection import DirectoryError, check_destination
from .mapping import PRESETS
from .models import DirectoryConnection, Flavor

BIND_PASSWORD = BoundSecret(
    ("urls", "bind_dn", "ca_certificate"),
    when_blank="Enter the bind password.",
    when_moved="The URLs, bind DN or CA certificate changed, so the stored password is not "
    "carried over. Enter the bind password again.",
    normalise=ignore_white_space,
)
# A web request waits this long at most per URL: longer would let a silent host hold a worker.
MAX_TIMEOUT = 60


def initial_for(store) -> dict:
    flavor = Flavor.ACTIVE_DIRECTORY if store.type == "ad" else Flavor.OPENLDAP
    return {"flavor": flavor, **PRESETS[flavor]}


class ConnectionForm(forms.ModelForm):
    bind_password = SecretField("Bind password")

    class Meta:
        model = DirectoryConnection
        fields = [
            f.name
            for f in DirectoryConnection._meta.fields
            if f.editable and f.name not in ("id", "store")
        ]
        widgets = {"ca_certificate": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original = {name: getattr(self.instance, name) for name in self.audited()}
        self.original["bind_password"] = self.instance.bind_password
        stored = bool(self.instance.bind_password)
        self.fields["bind_password"].help_text = (
            "A password is stored. Leave blank to keep it." if stored else "Not set."
        )

    @staticmethod
    def audited() -> list[str]:
        """Every setting on the page except the password (recorded only as "changed")."""
        return [
            f.name
            for f in DirectoryConnection._meta.fields
            if f.editable and f.name not in ("id", "store")
        ]

    def clean_urls(self) -> str:
        urls = self.cleaned_data["urls"].split()
        if not urls:
            raise forms.ValidationError("Enter at least one LDAP URL.")
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
                raise forms.ValidationError(
                    f"{url} is not an LDAP URL: use ldap://host[:port] (StartTLS is always used) "
                    "or ldaps://host[:port]."
                )
            try:
                parts.port  # noqa: B018 - raises on a non-numeric port
            except ValueError as exc:
                raise forms.ValidationError(f"{url} has an invalid port.") from exc
        for url in urls:
            try:
                check_destination(url)
            except DirectoryError as exc:
                raise forms.ValidationError(str(exc)) from None
        return " ".join(urls)

    def clean_timeout(self) -> int:
        timeout = self.cleaned_data["timeout"]
        if not 1 <= timeout <= MAX_TIMEOUT:
            raise forms.ValidationError(f"Enter a timeout from 1 to {MAX_TIMEOUT} seconds.")
        return timeout

    def clean_ca_certificate(self) -> str:
        pem = self.cleaned_data["ca_certificate"].strip()
        if pem and "-----BEGIN CERTIFICATE-----" not in pem:
            raise forms.ValidationError("Paste the CA certificate in PEM form (BEGIN CERTIFICATE).")
        return pem

    def clean_login_filter(self) -> str:
        value = self.cleaned_data["login_filter"]
        if "{login}" not in value:
            raise forms.ValidationError("The login filter must contain {login}.")
        return value

    def clean(self):
        data = super().clean()
        stored = self.original["bind_password"]
        typed = data.get("bind_password") or ""
        self.resolved_password = BIND_PASSWORD.after_save(typed, stored, self.original, data)
        if not self.resolved_password:
            self.add_error("bind_password", BIND_PASSWORD.message(stored, self.original, data))
        return data

    def connection(self) -> DirectoryConnection:
        """The settings as typed (unsaved), for the Test connection button."""
        conn = self.instance
        conn.bind_password = self.resolved_password
        return conn

    def save(self, commit: bool = True) -> DirectoryConnection:
        conn = super().save(commit=False)
        conn.bind_password = self.resolved_password
        if commit:
            conn.save()
        return conn

    def audit_changes(self) -> list[tuple[str, str, str]]:
        changes = [
            (name, str(self.original[name]), str(getattr(self.instance, name)))
            for name in self.audited()
            if self.original[name] != getattr(self.instance, name)
        ]
        if self.original["bind_password"] != self.instance.bind_password:
            changes.append(("bind_password", SECRET_CHANGED, SECRET_CHANGED))
        return changes
