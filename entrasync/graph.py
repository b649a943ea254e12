"""A Microsoft Graph client for one store: an app-only token from msal (client credentials),
then JSON requests under the national cloud's Graph root.

Every request goes through `core.http.HttpClient`: our CA bundle (never REQUESTS_CA_BUNDLE), the
outbound destination policy, no redirects. Throttling (429) and "service unavailable" (503) are
retried after the Retry-After Graph gives, a bounded number of times; a 401 fetches a new token
once. Anything else becomes an `EntraError` carrying Graph's status and error code, so callers
decide what it means for them (a permission to name, a refusal to roll back).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import msal
import msal.exceptions
import requests
from django.conf import settings

from core import destinations
from core.http import HttpClient

from . import clouds, token_apps
from .errors import DeltaExpired, EntraError, graph_error, sign_in_refused
from .models import EntraConnection

log = logging.getLogger(__name__)
RETRIED = {429, 503}
DELTA_EXPIRED_CODES = {"syncstatenotfound", "resyncrequired", "syncstateinvalid"}


class GraphClient:
    """One pass's client: one HTTP session and the connection's msal application, kept in the
    process with its token cache (`token_apps`). `reuse_token=False` signs in afresh with a
    throwaway application: Test connection proves the secret works now, not an hour ago."""

    def __init__(
        self, conn: EntraConnection, *, sleep=time.sleep, reuse_token: bool = True
    ) -> None:
        self.conn = conn
        self.reuse_token = reuse_token and conn.pk is not None
        self.root = clouds.graph_root(conn.cloud, conn.graph_url)
        self.session = HttpClient(float(conn.timeout))
        self.sleep = sleep
        self._token = ""
        self.requests = 0

    # --- token ----------------------------------------------------------------------------
    def token(self) -> str:
        if not self._token:
            self._token = self._acquire()
        return self._token

    def renew_token(self) -> None:
        """Graph refused the token (401): the next request signs in again, past msal's cache."""
        if self._token and self.reuse_token:
            token_apps.application(self.conn, self._app).remove_tokens_for_client()
        self._token = ""

    def _acquire(self) -> str:
        """A token from msal: the kept application's cached one while it is valid (msal
        decides), else a new one. A failed sign-in drops the kept application."""
        try:
            result = self._acquire_result()
        except EntraError:
            token_apps.forget(self.conn)
            raise
        if result and "access_token" in result:
            return result["access_token"]
        token_apps.forget(self.conn)
        raise sign_in_refused(result or {}, self.conn.tenant, [self.conn.client_secret])

    def _acquire_result(self) -> dict | None:
        conn = self.conn
        try:
            app = token_apps.application(conn, self._app) if self.reuse_token else self._app()
            return app.acquire_token_for_client(
                scopes=[clouds.graph_scope(conn.cloud, conn.graph_url)]
            )
        except ValueError:
            raise self._tenant_problem() from None
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            raise _unreachable(self._authority_host, exc) from None

    def _app(self) -> msal.ConfidentialClientApplication:
        authority = clouds.authority(self.conn.cloud, self.conn.tenant, self.conn.authority_url)
        microsoft = urlsplit(authority).hostname in clouds.MICROSOFT_AUTHORITY_HOSTS
        return msal.ConfidentialClientApplication(
            self.conn.client_id,
            client_credential=str(self.conn.client_secret),
            authority=authority,
            instance_discovery=None if microsoft else False,
            http_client=HttpClient(float(self.conn.timeout), authority=authority),
        )

    def _tenant_problem(self) -> EntraError:
        """msal could not read the tenant's OpenID configuration: ask for it ourselves to tell
        an unknown tenant (AADSTS90002) from a host that is no Entra sign-in endpoint."""
        authority = clouds.authority(self.conn.cloud, self.conn.tenant, self.conn.authority_url)
        url = f"{authority}/v2.0/.well-known/openid-configuration"
        try:
            response = self.session.get(url)
            body = response.json()
        except (requests.RequestException, ValueError):
            body = {}
        if isinstance(body, dict) and body.get("error_codes"):
            return sign_in_refused(body, self.conn.tenant, [self.conn.client_secret])
        return EntraError(
            f"{self._authority_host} is not an Entra ID sign-in endpoint msal can use (the "
            "tenant's OpenID configuration could not be read).",
            field="authority_url" if self.conn.authority_url else "tenant",
        )

    @property
    def _authority_host(self) -> str:
        authority = clouds.authority(self.conn.cloud, self.conn.tenant, self.conn.authority_url)
        return urlsplit(authority).netloc

    # --- requests -------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """`path` under the Graph root. A link Graph hands back (next page, delta) must point
        at the same Graph host: the bearer token goes with it."""
        if not path.startswith("https://"):
            return f"{self.root}{path}"
        if urlsplit(path).netloc != urlsplit(self.root).netloc:
            raise EntraError(
                f"Microsoft Graph sent a link to another host ({urlsplit(path).netloc}); "
                "it was not followed."
            )
        return path

    def request(self, method: str, path: str, body: dict | None = None) -> dict | None:
        """One Graph call; the JSON answer (None for 204). Raises `EntraError`."""
        url = self.url(path)
        renewed = False
        for attempt in range(settings.ENTRA_GRAPH_RETRIES + 1):
            response = self._send(method, url, body)
            if response.status_code == 401 and not renewed:
                self.renew_token()
                renewed = True
                continue
            if response.status_code in RETRIED and attempt < settings.ENTRA_GRAPH_RETRIES:
                self._wait(response)
                continue
            return _answer(response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(self, method: str, url: str, body: dict | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        self.requests += 1
        try:
            return self.session.request(method, url, headers=headers, data=data)
        except destinations.DestinationRefused as exc:
            raise EntraError(str(exc), field="graph_url") from None
        except requests.RequestException as exc:
            raise _unreachable(urlsplit(url).netloc, exc) from None

    def _wait(self, response: requests.Response) -> None:
        """Graph says how long to wait; a wait longer than allowed ends the pass instead."""
        wait = _retry_after(response.headers.get("Retry-After"))
        if wait > settings.ENTRA_GRAPH_MAX_WAIT_SECONDS:
            raise EntraError(
                f"Microsoft Graph asked to wait {wait:.0f} s before the next request "
                f"(HTTP {response.status_code}); the next sync continues."
            )
        log.info("graph answered %s: waiting %.1f s", response.status_code, wait)
        self.sleep(wait)

    def pages(self, path: str) -> Iterator[tuple[list[dict], str]]:
        """The pages of a collection, following `@odata.nextLink`; with each page the delta link
        when it is the last page of a delta round ("" otherwise)."""
        url: str | None = self.url(path)
        while url:
            body = self.request("GET", url) or {}
            url = body.get("@odata.nextLink")
            yield body.get("value") or [], body.get("@odata.deltaLink") or ""


def _answer(response: requests.Response) -> dict | None:
    if response.ok and (response.status_code == 204 or not response.content):
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.ok:
        return body if isinstance(body, dict) else {}
    code, message = graph_error(response.status_code, body)
    status = response.status_code
    if status == 410 or code.lower() in DELTA_EXPIRED_CODES:
        raise DeltaExpired("The saved delta link has expired", status=status, code=code or "Gone")
    text = f"HTTP {status}" + (f" {code}: {message}" if code else "")
    raise EntraError(f"Microsoft Graph answered {text}", status=status, code=code)


def _retry_after(value: str | None) -> float:
    """Seconds to wait: Retry-After is either seconds or an HTTP date (RFC 9110, 10.2.3);
    absent or unreadable, one second."""
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _unreachable(where: str, exc: Exception) -> EntraError:
    log.warning("entra: %s unreachable: %s: %s", where, type(exc).__name__, exc)
    text = str(exc).lower()
    if "certificate" in text:
        reason = "TLS failed, the server's certificate was not accepted"
    elif "timed out" in text or "timeout" in text:
        reason = "it did not answer in time"
    elif "redirect" in text:
        reason = str(exc)
    else:
        reason = "nothing answered (refused, closed or no such host)"
    return EntraError(f"{where} could not be reached: {reason}.")
