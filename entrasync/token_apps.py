"""One msal application per Entra connection in this process, so its token cache is reused.

A write-back that built a new application each time would ask the tenant's OpenID
configuration and a fresh token on every write: two requests before the one that matters.
msal keeps the app-only token in the application's cache and hands it out until shortly before
it expires, so keeping the application keeps the token.

An application is kept under the connection's id and a fingerprint of what signs in with it
(cloud, authority, client ID, secret, timeout): a connection whose secret changed gets a new
application, so a token taken with the old secret is never served for the new one. One whose
sign-in failed is dropped, so msal's replay of a refusal never outlives the attempt that saw it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import msal

from .models import EntraConnection

_apps: dict[int, tuple[str, msal.ConfidentialClientApplication]] = {}
_lock = threading.Lock()


def application(
    conn: EntraConnection, build: Callable[[], msal.ConfidentialClientApplication]
) -> msal.ConfidentialClientApplication:
    """The connection's application, made with `build` when none is kept for its settings."""
    key = fingerprint(conn)
    with _lock:
        kept = _apps.get(conn.pk)
        if kept is None or kept[0] != key:
            kept = (key, build())
            _apps[conn.pk] = kept
        return kept[1]


def forget(conn: EntraConnection) -> None:
    """Drop the connection's application (its sign-in failed)."""
    with _lock:
        _apps.pop(conn.pk, None)


def fingerprint(conn: EntraConnection) -> str:
    """A digest of the settings a token depends on; the secret itself is never a key."""
    parts = (
        conn.cloud,
        conn.tenant,
        conn.authority_url,
        conn.client_id,
        str(conn.client_secret),
        str(conn.timeout),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
