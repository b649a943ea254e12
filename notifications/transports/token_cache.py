"""The msal token cache every worker process shares, kept encrypted in Django's cache.

msal keeps tokens in a `SerializableTokenCache` per application, in memory. Loading its state
from Django's cache before each use and storing it back after a change lets a token fetched by
one process serve all of them until msal deems it close to expiry. The state holds access and
refresh tokens, so it is stored encrypted (`core.crypto`) and a state written under a retired
key is dropped rather than trusted. A per-key lock keeps the threads of one process from
interleaving load, use and save.
"""

from __future__ import annotations

import threading

import msal
from django.core.cache import cache

from core import crypto

# An encrypted cache entry outlives its access tokens so refresh tokens can be used.
CACHE_SECONDS = 24 * 3600

_locks: dict[str, threading.Lock] = {}
_seen: dict[str, str] = {}  # the encrypted state each process last loaded or stored, per key
_registry_lock = threading.Lock()


def lock(key: str) -> threading.Lock:
    """The one lock of this process for the cache entry `key`."""
    with _registry_lock:
        return _locks.setdefault(key, threading.Lock())


def load(key: str, token_cache: msal.SerializableTokenCache) -> None:
    """Bring `token_cache` up to the shared state, unless this process already holds it."""
    blob = cache.get(key)
    if not blob or blob == _seen.get(key):
        return
    try:
        token_cache.deserialize(crypto.decrypt(blob))
    except crypto.DecryptionError:
        return  # written with a retired key: start afresh
    _seen[key] = blob


def save(key: str, token_cache: msal.SerializableTokenCache) -> None:
    """Share `token_cache`'s state with every process, if it changed since it was loaded."""
    if token_cache.has_state_changed:
        blob = crypto.encrypt(token_cache.serialize())
        cache.set(key, blob, timeout=CACHE_SECONDS)
        _seen[key] = blob
