"""The second SMTP server fields of the Notifications page: where mail goes when the first
server fails, and after how long.

A section of its own because its blanks mean something else than elsewhere on the page: a blank
host is "no second server", and a blank port or "Switch after" keeps the saved value rather than
being an error. It uses the first server's From address and credentials (their binding to it is
in `secret_bindings.py`); that it is not the first server again is a cross-field rule
(`form_rules.py`).
"""

from __future__ import annotations

from typing import Any

from django import forms

from .addresses import normalise_host

SECOND_FIELDS = ("second_smtp_host", "second_port", "second_ssl_enabled", "switch_after")
SECOND_WIDGETS = {
    "second_smtp_host": forms.TextInput(
        attrs={"placeholder": "smtp2.example.com", "autocomplete": "off"}
    ),
}
SECOND_LABELS = {
    "second_smtp_host": "Second SMTP server",
    "second_ssl_enabled": "Second server uses SSL",
}
SECOND_HELP = {
    "second_smtp_host": "Optional. Uses the same From address, authentication and "
    "credentials as the first server. Leave blank for none.",
}


class SecondServerFields(forms.Form):
    """Mixed into the page's model form, which provides `original` (the saved values)."""

    original: dict[str, Any]

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

    def clean_second_smtp_host(self) -> str:
        """Optional: blank means no second server."""
        host = self.cleaned_data["second_smtp_host"]
        return normalise_host(host) if host.strip() else ""

    def clean_second_port(self) -> int:
        """Blank keeps the saved port (25 until one is set)."""
        return self.cleaned_data["second_port"] or self.original["second_port"]

    def clean_switch_after(self) -> int:
        return self.cleaned_data["switch_after"] or self.original["switch_after"]
