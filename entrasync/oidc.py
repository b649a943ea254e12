"""Admin sign-in with an Entra ID account: OpenID Connect's authorization-code flow with PKCE.

msal makes and checks the flow's state, nonce and PKCE verifier (`initiate_auth_code_flow`,
`acquire_token_by_auth_code_flow`). msal no longer validates the ID token itself, so this module
does: the signature against the keys the tenant publishes (its OpenID configuration's
`jwks_uri`), then issuer, audience (our client ID), expiry and nonce. Every request goes through
`core.http.HttpClient`: the destination policy and our TLS trust, no redirects followed.

Every refusal is a `SignInRefused` whose message is fit for the sign-in page; the detail goes to
the server log.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from urllib.parse import urlsplit

import jwt
import msal
import requests

from core.http import HttpClient

from . import clouds
from .models import EntraConnection

log = logging.getLogger(__name__)
SCOPES: list[str] = []  # the ID token only; msal adds openid, profile and offline_access
LEEWAY_SECONDS = 120  # clock skew between this server and Microsoft's
ALGORITHMS = ["RS256"]


class SignInRefused(Exception):
    """The sign-in did not succeed; the message says why in the admin's words."""


def authority_of(conn: EntraConnection) -> str:
    return clouds.authority(conn.cloud, conn.tenant, conn.authority_url)


def application(conn: EntraConnection) -> msal.ConfidentialClientApplication:
    """A fresh msal application per request: msal replays refusals, and flows live in sessions."""
    authority = authority_of(conn)
    microsoft = urlsplit(authority).hostname in clouds.MICROSOFT_AUTHORITY_HOSTS
    return msal.ConfidentialClientApplication(
        conn.client_id,
        client_credential=str(conn.client_secret),
        authority=authority,
        instance_discovery=None if microsoft else False,
        http_client=HttpClient(float(conn.timeout), authority=authority),
    )


def begin(conn: EntraConnection, redirect_uri: str) -> dict:
    """The flow to keep in the session; its `auth_uri` is where the browser goes next."""
    try:
        with warnings.catch_warnings():
            # msal recommends form_post; its cross-site POST back would arrive without our
            # SameSite=Lax session cookie, and so without the flow to check it against.
            warnings.filterwarnings("ignore", message="response_mode='form_post'")
            return application(conn).initiate_auth_code_flow(
                SCOPES, redirect_uri=redirect_uri, prompt="select_account", response_mode="query"
            )
    except (ValueError, requests.RequestException) as exc:
        log.warning("entra sign-in store=%s could not start: %s", conn.store_id, exc)
        raise SignInRefused(
            "Microsoft's sign-in page cannot be reached right now. Try again later, or sign in "
            "with an Admin Center account."
        ) from None


def finish(conn: EntraConnection, flow: dict, answer: dict[str, str]) -> dict:
    """The validated ID token claims of the account that signed in."""
    try:
        result = application(conn).acquire_token_by_auth_code_flow(flow, answer)
    except ValueError as exc:  # state missing or mismatched: not the sign-in this browser began
        log.warning("entra sign-in store=%s: %s", conn.store_id, exc)
        raise SignInRefused(
            "This answer from Microsoft does not belong to a sign-in started in this browser. "
            "Start again."
        ) from None
    except RuntimeError as exc:  # msal's nonce check
        log.warning("entra sign-in store=%s: %s", conn.store_id, exc)
        raise SignInRefused(REPLAYED) from None
    except requests.RequestException as exc:
        log.warning("entra sign-in store=%s token endpoint: %s", conn.store_id, exc)
        raise SignInRefused("Microsoft's token endpoint cannot be reached right now.") from None
    if "error" in result:
        raise SignInRefused(_refusal_text(result))
    if not result.get("id_token"):
        raise SignInRefused("Microsoft answered without an ID token, so nobody is signed in.")
    return validate_id_token(conn, result["id_token"], _nonce_hash(flow.get("nonce", "")))


REPLAYED = "The sign-in answer was made for another sign-in (nonce mismatch). Start again."


def _refusal_text(result: dict) -> str:
    description = str(result.get("error_description") or result.get("error") or "")
    first_line = description.splitlines()[0] if description else "no reason given"
    return f"Microsoft refused the sign-in: {first_line}"


def _nonce_hash(nonce: str) -> str:
    """msal sends the SHA-256 of its nonce; the ID token carries that hash back."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def validate_id_token(conn: EntraConnection, token: str, nonce: str) -> dict:
    """Claims of `token` once its signature, issuer, audience, expiry and nonce are right."""
    config = _get_json(conn, f"{authority_of(conn)}/v2.0/.well-known/openid-configuration")
    key = _signing_key(conn, config, token)
    issuer = _issuer(config)
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=conn.client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "oid"]},
        )
    except jwt.PyJWTError as exc:
        raise SignInRefused(_token_problem(exc)) from None
    if claims.get("nonce") != nonce:
        raise SignInRefused(REPLAYED)
    return claims


def _issuer(config: dict) -> str:
    """The tenant's issuer. A multi-tenant configuration (`common`, `organizations`) names
    `{tenantid}` and would accept accounts of any tenant, so it is refused."""
    issuer = str(config.get("issuer") or "")
    if not issuer or "{tenantid}" in issuer:
        raise SignInRefused(
            "Sign-in with Microsoft needs the tenant's own ID or domain in Tenant, not common or "
            "organizations."
        )
    return issuer


def _signing_key(conn: EntraConnection, config: dict, token: str) -> jwt.PyJWK:
    jwks_uri = config.get("jwks_uri")
    if not jwks_uri:
        raise SignInRefused("The tenant's OpenID configuration names no signing keys.")
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = jwt.PyJWKSet.from_dict(_get_json(conn, jwks_uri))
    except jwt.PyJWTError as exc:
        log.warning("entra sign-in store=%s keys: %s", conn.store_id, exc)
        raise SignInRefused("The ID token or the tenant's signing keys cannot be read.") from None
    for key in keys.keys:
        if key.key_id == kid:
            return key
    raise SignInRefused(
        "The ID token is not signed with a key the tenant publishes, so it was not accepted."
    )


def _get_json(conn: EntraConnection, url: str) -> dict:
    try:
        response = HttpClient(float(conn.timeout)).get(url)
        body = response.json() if response.ok else None
    except (requests.RequestException, ValueError) as exc:
        log.warning("entra sign-in store=%s %s: %s", conn.store_id, url, exc)
        body = None
    if not isinstance(body, dict):
        raise SignInRefused("The tenant's sign-in configuration cannot be read right now.")
    return body


def _token_problem(exc: jwt.PyJWTError) -> str:
    reasons = {
        jwt.ExpiredSignatureError: "it has expired",
        jwt.InvalidAudienceError: "it was issued to another application (audience)",
        jwt.InvalidIssuerError: "it was issued by another tenant or authority (issuer)",
        jwt.InvalidSignatureError: "its signature does not match the tenant's key",
        jwt.MissingRequiredClaimError: "a required claim is missing",
        jwt.ImmatureSignatureError: "it is not valid yet",
    }
    reason = next((text for kind, text in reasons.items() if isinstance(exc, kind)), None)
    return f"The ID token was not accepted: {reason or 'it cannot be read'}."
