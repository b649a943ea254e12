"""Destination-bound secrets: the one rule every form with a password box follows.

A stored secret (SMTP password, Client Secret, bind password, ...) is never rendered back, so the
box is blank on every visit and blank means "keep the stored one". Kept blindly, that would hand
the old password to whatever host an admin (or someone with a stolen session) types next. So a
stored secret is bound to the settings it was entered for, the ones that decide where it is sent:
while they are unchanged a blank box keeps it; once one of them changes, the admin must type it
again, and the form says why next to the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms

from .crypto import Secret


class SecretField(forms.CharField):
    """A password box that never shows the stored value; blank means "keep".

    Its value is a `Secret`, a str whose repr is masked, so a debug page or an error report that
    prints the form's cleaned data shows the mask instead of the password."""

    def __init__(self, label: str):
        super().__init__(
            label=label,
            required=False,
            strip=False,
            max_length=4096,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        )

    def to_python(self, value: Any) -> Secret:
        return Secret(super().to_python(value))


def exact(value: Any) -> Any:
    """Compare bound settings as they are: any difference moves the secret."""
    return value


def ignore_white_space(value: Any) -> str:
    """Compare bound settings without their white space, for settings where it never changes where
    the secret goes (a list of URLs, a DN, a pasted certificate whose line ends a browser sends as
    CR LF)."""
    return " ".join(str(value).split())


@dataclass(frozen=True)
class BoundSecret:
    """A stored secret bound to the form fields it was entered for.

    `when_blank` is the message for a required secret that was never stored; `when_moved` the one
    for a stored secret that is not carried over. `reasons` names bound fields whose change
    deserves its own explanation: the first one that changed wins over `when_moved`.
    """

    bound_to: tuple[str, ...]
    when_blank: str
    when_moved: str
    reasons: Mapping[str, str] = field(default_factory=dict)
    normalise: Callable[[Any], Any] = exact

    def changed(self, original: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
        """The bound fields whose cleaned value differs from the saved one (a field missing
        from `data` failed its own validation and counts as unchanged)."""
        return [
            name
            for name in self.bound_to
            if name in data and self.normalise(data[name]) != self.normalise(original[name])
        ]

    def moved(self, original: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
        return bool(self.changed(original, data))

    def after_save(
        self,
        typed: str,
        stored: str,
        original: Mapping[str, Any],
        data: Mapping[str, Any],
        clear: bool = False,
    ) -> str:
        """The secret the settings hold once saved: the typed one, else the stored one while its
        destination is unchanged and the admin did not ask to clear it, else none ("")."""
        if typed:
            return typed
        if clear or self.moved(original, data):
            return ""
        return stored

    def message(self, stored: str, original: Mapping[str, Any], data: Mapping[str, Any]) -> str:
        """What to show next to the box when the secret is required but will not be there."""
        changed = self.changed(original, data) if stored else []
        for name, reason in self.reasons.items():
            if name in changed:
                return reason
        return self.when_moved if changed else self.when_blank
