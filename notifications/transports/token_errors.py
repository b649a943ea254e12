"""Turning what a token endpoint answered into `TransportError`s an admin can act on.

A refusal quotes the identity provider's error code and the first sentence of its description
(Entra ID appends trace and correlation ids no admin needs), with a hint for known `AADSTS`
codes. The request carried the Client Secret and the password, so both are blanked out of
anything quoted. Errors the provider itself calls temporary, and HTTP 5xx, are retried.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .base import TransportError
from .diagnostics import token_hint
from .errors import network_error

# Errors the identity provider itself calls temporary (RFC 6749 §5.2 / §4.1.2.1).
TRANSIENT_ERRORS = {"server_error", "temporarily_unavailable"}


def refused(result: dict | None, *, secrets: Iterable[str]) -> TransportError:
    """msal's answer without an access token: the endpoint's `error` and `error_description`."""
    result = result or {"error": "no_token", "error_description": "no token returned"}
    error = str(result.get("error", "unknown_error"))
    description = _scrub(_first_sentence(str(result.get("error_description", ""))), secrets)
    return TransportError(
        f"The token endpoint refused the request: {error}: {description}",
        permanent=error not in TRANSIENT_ERRORS,
        reply=f"{error}: {description}",
        hint=token_hint(description),
    )


def http_error(exc: Exception, where: str, timeout: float) -> TransportError:
    """msal raises `MsalServiceError("HTTP Error: 500")` for 5xx it replays from its throttle
    cache, and lets requests' errors through for fresh ones."""
    response = getattr(exc, "response", None)
    status = response.status_code if response is not None else _msal_status(exc)
    if status:
        return TransportError(
            f"The token endpoint {where} answered HTTP {status}"
            + (" (a temporary server error)." if status >= 500 else "."),
            permanent=status < 500,
            reply=f"HTTP {status}",
        )
    found = network_error(exc, where, timeout)
    return found or TransportError(
        f"The token endpoint {where} could not be reached ({type(exc).__name__}).",
        permanent=False,
    )


def _msal_status(exc: Exception) -> int:
    found = re.search(r"HTTP Error: (\d{3})", str(exc))
    return int(found.group(1)) if found else 0


def _first_sentence(text: str) -> str:
    """Entra descriptions end in trace and correlation ids, useless to an admin."""
    return text.split("\r\n")[0].split(" Trace ID:")[0].strip()


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
