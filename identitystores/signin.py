"""Sign-in that remembers, encrypted and only for the session, the credentials the admin typed.

The spec's default SMTP behaviour connects "with the credentials of the user logged into Admin
Center"; those are the only credentials we can use for that, so they are kept (Fernet-encrypted
with the server's key) in the session and copied, still encrypted, onto the outbox rows the admin
triggers. They are wiped from a row once it is sent or dead, and from the session at sign-out or
when the session expires (dirmgr/sessions.py bounds its lifetime and idle time). Error reports
never show them: Django's LoginView hides the POST and the functions below hide their locals.
"""

from __future__ import annotations

import json

from django.contrib.auth import views as auth_views
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from core import crypto
from ldapsync.signin import StoreSignInForm

SESSION_KEY = "dirmgr_smtp_credentials"


class SignInView(auth_views.LoginView):
    # Offers "Admin Center account" or a directory-backed identity store (sign-in by LDAP bind).
    authentication_form = StoreSignInForm

    @sensitive_variables("credentials")
    def form_valid(self, form):
        response = super().form_valid(form)
        credentials = {
            "username": form.cleaned_data["username"],
            "password": form.cleaned_data["password"],
        }
        self.request.session[SESSION_KEY] = crypto.encrypt(json.dumps(credentials))
        return response


@sensitive_variables("data")
def acting_credentials(request: HttpRequest) -> tuple[str, str]:
    """(username, password) the admin signed in with, or blanks when not known."""
    token = request.session.get(SESSION_KEY)
    if not token:
        return "", ""
    try:
        data = json.loads(crypto.decrypt(token))
    except (crypto.DecryptionError, ValueError):
        return "", ""
    return data.get("username", ""), data.get("password", "")


@sensitive_variables("password")
def acting_credentials_json(request: HttpRequest) -> str:
    """The same as JSON plaintext for an outbox row's EncryptedTextField ('' when unknown)."""
    username, password = acting_credentials(request)
    if not username:
        return ""
    return json.dumps({"username": username, "password": password})
