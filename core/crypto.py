"""Encryption of secrets at rest (SMTP password, client secret, OAuth password, ...).

MultiFernet over ``settings.ENCRYPTION_KEYS``: the first key encrypts, every key decrypts, so keys
can be rotated without downtime. Without configured keys one is derived from SECRET_KEY.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class Secret(str):
    """A plaintext secret: a str everywhere, but its repr is masked.

    Django's error reports and debug pages print every frame's variables with repr, including
    Django's own frames (the ORM preparing a value for the database), which no
    ``sensitive_variables`` can reach. Decrypted values and typed secret boxes are Secrets, so
    those frames show the mask instead of the password.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'********'"


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(f"dirmgr-secrets:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
@sensitive_variables()  # keys in an error report's frames would decrypt every secret
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    raw = [k.encode() for k in keys] or [_derived_key(secret_key)]
    try:
        return MultiFernet([Fernet(k) for k in raw])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "DIRMGR_ENCRYPTION_KEYS must be url-safe base64 Fernet keys "
            "(generate one with `manage.py generate_encryption_key`)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


@sensitive_variables("plaintext")
def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the primary key (it must decrypt with one of the keys)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
