"""The credentials an admin signed in with: the one place they are written and read back.

The spec's default SMTP behaviour connects "with the credentials of the user logged into Admin
Center"; those are the only credentials we can use for that, so they are kept (Fernet-encrypted
with the server's key) in the session and copied, still encrypted, onto the outbox rows the admin
triggers (their EncryptedTextField holds the JSON form, `for_outbox`), where the worker reads them
back with `decode`. They are wiped from a row once it is sent or dead, and from the session at
sign-out or when the session expires (dirmgr/sessions.py bounds its lifetime and idle time).
Error reports never show them: every function here hides its locals. An admin signed in with a
Microsoft account has no password here (`mark_passwordless`): their changes use the store's
configured SMTP authentication, or none.
"""

from __future__ import annotations

import json

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from core import crypto

# Unchanged since the first release: sessions signed in before an upgrade keep their credentials.
SESSION_KEY = "dirmgr_smtp_credentials"
PASSWORDLESS_KEY = "dirmgr_signed_in_without_password"


@sensitive_variables()
def encode(username: str, password: str) -> str:
    """The plaintext form (JSON) that is encrypted into the session or an outbox row."""
    return json.dumps({"username": username, "password": password})


@sensitive_variables()
def decode(text: str) -> tuple[str, str]:
    """(username, password) from `encode`'s form; blanks when there is none or it is unreadable."""
    if not text:
        return "", ""
    try:
        data = json.loads(text)
    except ValueError:
        return "", ""
    return data.get("username", ""), data.get("password", "")


@sensitive_variables()
def keep_in_session(request: HttpRequest, username: str, password: str) -> None:
    """Remember, encrypted, what the admin just signed in with."""
    request.session[SESSION_KEY] = crypto.encrypt(encode(username, password))


@sensitive_variables()
def from_session(request: HttpRequest) -> tuple[str, str]:
    """(username, password) the admin signed in with, or blanks when not known."""
    token = request.session.get(SESSION_KEY)
    if not token:
        return "", ""
    try:
        return decode(crypto.decrypt(token))
    except (crypto.DecryptionError, ValueError):
        return "", ""


def mark_passwordless(request: HttpRequest) -> None:
    """The admin signed in without a password (a Microsoft account): nothing to keep."""
    request.session.pop(SESSION_KEY, None)
    request.session[PASSWORDLESS_KEY] = True


def is_passwordless(request: HttpRequest) -> bool:
    """Whether the admin signed in without a password, so acting credentials do not exist."""
    return bool(request.session.get(PASSWORDLESS_KEY))


@sensitive_variables()
def for_outbox(request: HttpRequest) -> str:
    """The session's credentials in `encode`'s form, for an outbox row ('' when unknown)."""
    username, password = from_session(request)
    if not username:
        return ""
    return encode(username, password)
