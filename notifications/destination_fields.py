"""The destination policy at Save and Test Server: a refused SMTP Server or Token Endpoint is a
field error in the admin's words, before anything connects there.

A name that does not resolve here is not an error by itself (the workers may use another DNS);
the policy is applied again, to the address actually used, whenever a connection is made.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import destinations
from .models import NotificationSettings


def destination_errors(data: dict) -> dict[str, str]:
    """{field: why} for the SMTP Server and (with OAuth 2.0) the Token Endpoint in `data`."""
    errors: dict[str, str] = {}
    for field, host, port in _destinations(data):
        try:
            destinations.check(host, port)
        except destinations.DestinationRefused as exc:
            errors[field] = str(exc)
    return errors


def _destinations(data: dict) -> list[tuple[str, str, int]]:
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
