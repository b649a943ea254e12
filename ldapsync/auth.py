"""Admin sign-in by directory bind: find the account with the store's service account, then bind
as that account with the typed password. No password is stored.

The Admin Center user is created on first sign-in, linked to the entry's identifier (so a rename
in the directory keeps the same user), with no roles: what the admin may see is still decided by
roles a superuser grants — unless `LDAP_SIGNIN_GRANT_ROLE` says the store's own directory users
become its administrators.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from ldap3.utils.conv import escape_filter_chars

from identitystores.models import IdentityStore, StoreRole

from .connection import DirectoryError, bind, close, session
from .mapping import to_record
from .models import DirectoryAccount, DirectoryConnection
from .paging import paged_search

INVALID_CREDENTIALS = 49


class DirectoryUnavailable(Exception):
    """The directory could not be asked: not the admin's fault, shown as such."""


class DirectoryBindBackend(BaseBackend):
    """Answers only when a `store` is given. It then returns the user or raises
    PermissionDenied, which stops Django from trying the local ModelBackend with a directory
    password (and lets the lockout backend count the failure)."""

    # Every frame below this one holds the typed password or a bound ldap3 connection, whose repr
    # shows its password: error reports hide all their variables.
    @sensitive_variables()
    def authenticate(self, request, username=None, password=None, store=None, **kwargs):
        if store is None:
            return None
        conn = DirectoryConnection.objects.filter(store=store, signin_enabled=True).first()
        if conn is None or not username or not password:
            raise PermissionDenied
        try:
            entry = _find_account(conn, username)
            if entry is None:
                raise PermissionDenied
            close(bind(conn, entry["dn"], password))
        except DirectoryError as exc:
            if exc.result == INVALID_CREDENTIALS:
                raise PermissionDenied from None
            raise DirectoryUnavailable(str(exc)) from None
        record = to_record(conn, "user", entry)
        if record is None:
            raise PermissionDenied
        user = _user_for(store, record.external_id, entry["dn"], record.email, username)
        if not user.is_active:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        try:
            return get_user_model().objects.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None


def _find_account(conn: DirectoryConnection, login: str) -> dict | None:
    """The one user entry matching the login; none or several means "no such account"."""
    login_filter = conn.login_filter.replace("{login}", escape_filter_chars(login))
    search = f"(&{conn.user_filter}{login_filter})"
    with session(conn) as ldap:
        entries = [
            entry
            for page in paged_search(
                ldap, conn.base_dn, search, [conn.id_attribute, conn.mail_attribute], 2
            )
            for entry in page
        ]
    return entries[0] if len(entries) == 1 else None


@transaction.atomic
def _user_for(store: IdentityStore, external_id: str, dn: str, email: str, login: str):
    account = (
        DirectoryAccount.objects.select_related("user")
        .filter(store=store, external_id=external_id)
        .first()
    )
    if account is None:
        user = get_user_model().objects.create_user(_username(store, login), email=email)
        account = DirectoryAccount.objects.create(
            user=user, store=store, external_id=external_id, dn=dn
        )
        if settings.LDAP_SIGNIN_GRANT_ROLE:
            StoreRole.objects.get_or_create(user=user, store=store)
    account.dn = dn
    account.last_bind = timezone.now()
    account.save(update_fields=["dn", "last_bind"])
    return account.user


def _username(store: IdentityStore, login: str) -> str:
    """A unique Admin Center user name: `<login>@store-<id>`, made unique if taken."""
    base = re.sub(r"[^\w.@+-]", "_", login)[:120] + f"@store-{store.pk}"
    model = get_user_model()
    name, n = base, 1
    while model.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name
