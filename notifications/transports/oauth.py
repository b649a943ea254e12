"""OAuth 2.0 access tokens from the store's Token Endpoint (msal), shared by every worker.

Each worker process keeps one msal application per (authority, client, secret); its token cache
is shared by all processes (`token_cache`), so a token fetched by one process is reused by all
until msal deems it close to expiry. Tokens are needed per SMTP connection (XOAUTH2) or per
Graph call, never fetched per message.

Grants: with Username/Password the password grant of a confidential client (cache first via
`acquire_token_silent`); without them the client-credentials grant (app-only).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import msal
import msal.exceptions
import requests
from django.conf import settings

from core.http import HttpClient

from . import token_cache, token_errors
from .base import TransportConfig, TransportError

log = logging.getLogger(__name__)

APP_ONLY_SMTP_SCOPE = "https://outlook.office365.com/.default"
DELEGATED_SMTP_SCOPE = "https://outlook.office.com/SMTP.Send"
DELEGATED_SMTP_SCOPES = {DELEGATED_SMTP_SCOPE.lower(), "https://outlook.office365.com/smtp.send"}
# msal applications kept per process (one per distinct configuration).
MAX_APPS = 64


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    cached: bool = False  # served from the shared cache rather than fetched just now


@dataclass(frozen=True)
class TokenSpec:
    """Everything that determines a token. `repr` hides the secrets."""

    authority: str
    client_id: str
    scopes: tuple[str, ...]
    client_secret: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 15.0

    @property
    def cache_key(self) -> str:
        """Keyed (HMAC, so no secret is guessable from it) by all inputs: changing the secret
        or password in the settings can never reuse a token obtained with the old one."""
        material = "\x00".join(
            [self.authority, self.client_id, " ".join(self.scopes), self.username]
            + [self.client_secret, self.password]
        )
        digest = hmac.new(settings.SECRET_KEY.encode(), material.encode(), hashlib.sha256)
        return f"dirmgr:oauth-token-cache:{digest.hexdigest()}"


def smtp_token_spec(config: TransportConfig) -> TokenSpec:
    """SMTP XOAUTH2: the configured scope for the password grant; app-only otherwise."""
    scopes = tuple(config.scope.split()) or (DELEGATED_SMTP_SCOPE,)
    if not config.username and {s.lower() for s in scopes} <= DELEGATED_SMTP_SCOPES:
        scopes = (APP_ONLY_SMTP_SCOPE,)
    return TokenSpec(
        authority=authority_from_endpoint(config.token_endpoint),
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=scopes,
        username=config.username,
        password=config.password,
        timeout=config.timeout,
    )


def authority_from_endpoint(url: str) -> str:
    """`https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token` → `…/<tenant>`."""
    parts = urlsplit(url.strip())
    head, sep, _ = parts.path.partition("/oauth2/")
    if parts.scheme != "https" or not parts.hostname or not sep or head.strip("/") == "":
        raise TransportError(
            "The Token Endpoint must be an https URL such as "
            "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.",
            permanent=True,
        )
    return f"https://{parts.netloc}{head.rstrip('/')}"


class TokenProvider:
    """Access tokens for one `TokenSpec`. Blocking (msal is synchronous): call it from a thread
    in async code."""

    def __init__(self, spec: TokenSpec):
        self.spec = spec

    def get(self) -> AccessToken:
        with token_cache.lock(self.spec.cache_key):
            app = self._app()
            token_cache.load(self.spec.cache_key, app.token_cache)
            try:
                result = self._acquire(app)
            finally:
                token_cache.save(self.spec.cache_key, app.token_cache)
        return self._checked(result)

    def forget(self, token: str) -> None:
        """Drop a token the server refused, so the next `get()` fetches a fresh one."""
        with token_cache.lock(self.spec.cache_key):
            app = self._app()
            tokens = app.token_cache
            token_cache.load(self.spec.cache_key, tokens)
            at = msal.TokenCache.CredentialType.ACCESS_TOKEN
            for item in list(tokens.search(at, query={"secret": token})):
                tokens.remove_at(item)
            token_cache.save(self.spec.cache_key, tokens)

    def _acquire(self, app: msal.ConfidentialClientApplication) -> dict:
        scopes = list(self.spec.scopes)
        try:
            if not self.spec.username:
                return app.acquire_token_for_client(scopes=scopes)
            for account in app.get_accounts(username=self.spec.username):
                result = app.acquire_token_silent(scopes, account=account)
                if result and "access_token" in result:
                    return result
            return app.acquire_token_by_username_password(
                self.spec.username, self.spec.password, scopes=scopes
            )
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            raise self._http_error(exc) from None
        except ValueError:  # msal: the answer is not JSON
            raise TransportError(
                f"The token endpoint {self._where} did not answer as an OAuth 2.0 token "
                "endpoint (its reply is not OAuth 2.0 JSON).",
                permanent=True,
            ) from None

    def _app(self) -> msal.ConfidentialClientApplication:
        key = self.spec.cache_key
        app = _apps.get(key)
        if app is None:
            try:
                app = _new_app(self.spec)
            except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
                raise self._http_error(exc) from None
            except ValueError as exc:  # msal: the authority's discovery document is missing
                # msal's text quotes the answer's body: a foreign service's bytes stay in the log.
                log.info("Token endpoint %s: discovery failed: %s", self._where, exc)
                raise TransportError(
                    f"{self._where} is not an OAuth 2.0 token endpoint msal can use "
                    "(its OpenID configuration is missing or not valid).",
                    permanent=True,
                ) from None
            if len(_apps) >= MAX_APPS:  # Test Server presses with ever-new values
                _apps.pop(next(iter(_apps)))
            _apps[key] = app
        return app

    def _checked(self, result: dict | None) -> AccessToken:
        if result and "access_token" in result:
            return AccessToken(result["access_token"], result.get("token_source") == "cache")
        raise token_errors.refused(result, secrets=(self.spec.client_secret, self.spec.password))

    def _http_error(self, exc: Exception) -> TransportError:
        return token_errors.http_error(exc, self._where, self.spec.timeout)

    @property
    def _where(self) -> str:
        parts = urlsplit(self.spec.authority)
        return f"{parts.hostname}:{parts.port or 443}"


_apps: dict[str, msal.ConfidentialClientApplication] = {}


def _new_app(spec: TokenSpec) -> msal.ConfidentialClientApplication:
    """Instance discovery (a call to Microsoft) only for Microsoft's own authority hosts."""
    microsoft = urlsplit(spec.authority).hostname in msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
    return msal.ConfidentialClientApplication(
        spec.client_id,
        client_credential=spec.client_secret,
        authority=spec.authority,
        instance_discovery=None if microsoft else False,
        http_client=HttpClient(spec.timeout, authority=spec.authority),
        token_cache=msal.SerializableTokenCache(),
    )
