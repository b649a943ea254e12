"""Deployment checks (``manage.py check --deploy``) that must stop a release, not just warn.

The development SECRET_KEY is in this repository, so it is public: with it sessions and password
reset links can be forged, and when DIRMGR_ENCRYPTION_KEYS is empty the stored secrets (SMTP
passwords, client secrets, the LDAP bind password) are encrypted with a key derived from it —
anyone with the database can decrypt them. Django only warns (security.W009); these are Errors.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks.security.base import SECRET_KEY_INSECURE_PREFIX

PUBLIC_SECRET_KEY = Error(
    "SECRET_KEY is the public development key (it starts with 'django-insecure-').",
    hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value of your own.",
    id="dirmgr.E001",
)
PUBLIC_ENCRYPTION_KEY = Error(
    "Stored secrets are encrypted with a key derived from the public development SECRET_KEY: "
    "anyone with the database can decrypt them.",
    hint="Set DIRMGR_ENCRYPTION_KEYS (python manage.py generate_encryption_key), then run "
    "python manage.py rotate_encryption_keys.",
    id="dirmgr.E002",
)


def secret_key_is_public(secret_key: str) -> bool:
    """Our development default and Django's generated placeholders share this prefix."""
    return str(secret_key).startswith(SECRET_KEY_INSECURE_PREFIX)


@register(Tags.security, deploy=True)
def check_public_keys(app_configs=None, **kwargs) -> list[Error]:
    if not secret_key_is_public(settings.SECRET_KEY):
        return []
    if settings.ENCRYPTION_KEYS:
        return [PUBLIC_SECRET_KEY]
    return [PUBLIC_SECRET_KEY, PUBLIC_ENCRYPTION_KEY]
