"""The Admin Center user behind a validated Entra ID sign-in, and its role in the store.

Like directory (LDAP) sign-in, the user is created on first sign-in and linked to the account's
object ID (`oid`), so a renamed account keeps the same user. When the store names an
Administrators group, membership decides: members get the store's administrator role, anyone else
is refused and loses the role. Membership is read from the ID token's `groups` claim; when the
token carries none (not configured, or more groups than a token holds: the "overage" claim), the
synced copy of the directory answers instead, nested groups included. Without a group, the
`LDAP_SIGNIN_GRANT_ROLE` setting applies as for LDAP sign-in.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from directory.models import DirectoryObject, GroupMembership
from identitystores.models import IdentityStore, StoreRole

from .models import EntraAccount, EntraConnection


class EntraSignInBackend(BaseBackend):
    """Answers only to `entra_claims` (validated by `entrasync.oidc`) and a `store`."""

    def authenticate(self, request, entra_claims: dict | None = None, store=None, **kwargs):
        if entra_claims is None or store is None:
            return None
        conn = EntraConnection.objects.filter(store=store, signin_enabled=True).first()
        if conn is None:
            raise PermissionDenied
        admin = is_administrator(conn, entra_claims)
        if conn.signin_group and not admin:
            revoke(store, entra_claims["oid"])
            raise PermissionDenied
        user = user_for(store, entra_claims, grant=admin)
        if not user.is_active:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        return get_user_model().objects.filter(pk=user_id).first()


def is_administrator(conn: EntraConnection, claims: dict) -> bool:
    """Whether the account is in the store's Administrators group (False without one)."""
    group = conn.signin_group.lower()
    if not group:
        return bool(settings.LDAP_SIGNIN_GRANT_ROLE)
    groups = token_groups(claims)
    if groups is None:
        groups = synced_groups(conn.store_id, claims["oid"])
    return group in groups


def token_groups(claims: dict) -> set[str] | None:
    """The group object IDs in the token, or None when the token does not list them."""
    overage = "groups" in (claims.get("_claim_names") or {})
    groups = claims.get("groups")
    if overage or not isinstance(groups, list):
        return None
    return {str(g).lower() for g in groups}


def synced_groups(store_id: int, object_id: str) -> set[str]:
    """Object IDs of every group the account is in, directly or through nested groups."""
    member = DirectoryObject.objects.filter(store_id=store_id, external_id=object_id).first()
    if member is None:
        return set()
    seen: set[int] = set()
    frontier = {member.pk}
    while frontier:
        parents = set(
            GroupMembership.objects.filter(member_id__in=frontier).values_list(
                "group_id", flat=True
            )
        )
        frontier = parents - seen
        seen |= parents
    ids = DirectoryObject.objects.filter(pk__in=seen).values_list("external_id", flat=True)
    return {i.lower() for i in ids if i}


def revoke(store: IdentityStore, object_id: str) -> None:
    """An account no longer in the Administrators group loses the store's role."""
    users = EntraAccount.objects.filter(store=store, object_id=object_id).values("user_id")
    StoreRole.objects.filter(store=store, user_id__in=users).delete()


@transaction.atomic
def user_for(store: IdentityStore, claims: dict, *, grant: bool):
    account = (
        EntraAccount.objects.select_related("user")
        .filter(store=store, object_id=claims["oid"])
        .first()
    )
    if account is None:
        login = str(claims.get("preferred_username") or claims["oid"])
        user = get_user_model().objects.create_user(
            _username(store, login), email=_email(claims), first_name=_name(claims)
        )
        account = EntraAccount.objects.create(user=user, store=store, object_id=claims["oid"])
    if grant:
        StoreRole.objects.get_or_create(user=account.user, store=store)
    account.last_signin = timezone.now()
    account.save(update_fields=["last_signin"])
    return account.user


def _email(claims: dict) -> str:
    login = str(claims.get("email") or claims.get("preferred_username") or "")
    return login if "@" in login else ""


def _name(claims: dict) -> str:
    return str(claims.get("name") or "")[:150]


def _username(store: IdentityStore, login: str) -> str:
    """A unique Admin Center user name: `<login>@entra-<store id>`, made unique if taken."""
    base = re.sub(r"[^\w.@+-]", "_", login)[:120] + f"@entra-{store.pk}"
    model = get_user_model()
    name, n = base, 1
    while model.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name
