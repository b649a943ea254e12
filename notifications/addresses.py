"""Checking what admins type into host and address boxes, one value at a time.

An address is a bare mailbox (``user@example.com``): no display name, no quotes, no comments, no
CR/LF, no commas — anything that could smuggle a second recipient or a header into a message.
"""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
_FORBIDDEN_IN_ADDRESS = set('<>"(),;:[]\\\r\n\t\0 ')


def normalise_host(value: str) -> str:
    """A hostname (IDN allowed, stored in ASCII form) or an IPv4/IPv6 literal."""
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValidationError("Enter the SMTP server's name or IP address.")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if any(ch in host for ch in ":/@ \t\r\n\0"):
        raise ValidationError(
            "Enter only a host name or IP address, such as smtp.office365.com or 10.0.0.25 "
            "(no scheme, port or path)."
        )
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValidationError(f"“{host}” is not a valid host name.") from exc
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(f"“{host}” is not a valid host name.")
    if labels[-1].isdigit():
        raise ValidationError(f"“{host}” is not a valid IP address.")
    return ascii_host


def normalise_address(value: str) -> str:
    """One bare email address, domain lower-cased (and in ASCII form for IDN domains)."""
    address = value.strip()
    if not address:
        raise ValidationError("Enter an email address.")
    bad = sorted(_FORBIDDEN_IN_ADDRESS.intersection(address))
    if bad:
        shown = ", ".join(repr(ch) if ch.isspace() or ch == "\0" else ch for ch in bad)
        raise ValidationError(
            f"“{_visible(address)}” is not a single email address (it contains {shown}). "
            "Enter addresses like name@example.com, without a display name."
        )
    local, sep, domain = address.rpartition("@")
    if not sep or not local:
        raise ValidationError(f"“{_visible(address)}” is not a valid email address.")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValidationError(f"“{_visible(address)}” has an invalid domain.") from exc
    normalised = f"{local}@{domain}"
    try:
        validate_email(normalised)
    except ValidationError as exc:
        raise ValidationError(f"“{_visible(address)}” is not a valid email address.") from exc
    return normalised


def normalise_address_list(value: str) -> list[str]:
    """Addresses separated by semicolons; every one valid; duplicates (any case) dropped."""
    entries = [e for e in value.split(";") if e.strip()]
    errors: list[str] = []
    result: list[str] = []
    seen: set[str] = set()
    for entry in entries:
        if "," in entry and entry.count("@") > 1:
            errors.append("Separate addresses with a semicolon (;), not a comma.")
            continue
        try:
            address = normalise_address(entry)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    if errors:
        raise ValidationError(errors)
    return result


def _visible(value: str, limit: int = 80) -> str:
    """The value as safe one-line text for an error message."""
    text = value.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0")
    return text if len(text) <= limit else text[: limit - 1] + "…"
