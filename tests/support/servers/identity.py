"""A loopback HTTPS identity provider (the endpoints msal talks to) and a Graph-shaped sendMail.

Token endpoint: `client_credentials`, `password` and `refresh_token` grants of a confidential
client, Entra-shaped errors (`AADSTS…` descriptions), random tokens with `expires_in`, a call
count, and failure injection (`fail_with`). It also answers msal's tenant discovery
(`/<tenant>/v2.0/.well-known/openid-configuration`) and user realm (`/common/userrealm/<user>`).
The SMTP test server accepts XOAUTH2 only with tokens issued here (`is_valid`).

Graph: `POST /v1.0/users/<mailbox>/sendMail` with a bearer token from here; MIME (base64 text)
or JSON bodies are recorded in `graph_messages`.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

TOKEN_LENGTH = 1800  # real Entra access tokens are 1.5–3 KB


@dataclass
class Issued:
    username: str  # "" for app-only tokens
    scope: str
    expires_at: float


@dataclass
class GraphMessage:
    mailbox: str
    content_type: str
    body: bytes

    @property
    def mime(self) -> bytes:
        return base64.b64decode(self.body)

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass(eq=False)
class IdentityTestServer:
    tls_context: ssl.SSLContext
    tenant: str = "contoso.onmicrosoft.com"
    client_id: str = "11111111-2222-3333-4444-555555555555"
    client_secret: str = "client-Secret~never-shown"
    users: dict[str, str] = field(default_factory=dict)
    expires_in: int = 3600
    # (HTTP status, JSON body) answered to every token request while set
    fail_with: tuple[int, dict] | None = None
    graph_fail: tuple[int, dict] | None = None
    # answer token requests with "307 Temporary Redirect" to this URL while set
    redirect_token_to: str = ""

    def __post_init__(self):
        self.token_calls: list[dict] = []
        self.realm_calls: list[str] = []
        self.tokens: dict[str, Issued] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.graph_messages: list[GraphMessage] = []
        self._condition = threading.Condition()
        self._httpd: ThreadingHTTPServer | None = None

    def start(self) -> IdentityTestServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.socket = self.tls_context.wrap_socket(httpd.socket, server_side=True)
        httpd.identity = self  # type: ignore[attr-defined]
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        self._httpd = httpd
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def netloc(self) -> str:
        return self.base_url.removeprefix("https://")

    @property
    def token_endpoint(self) -> str:
        return f"{self.base_url}/{self.tenant}/oauth2/v2.0/token"

    @property
    def graph_endpoint(self) -> str:
        return f"{self.base_url}/v1.0"

    # -- what tests ask ----------------------------------------------------------------------

    def is_valid(self, username: str, token: str) -> bool:
        """XOAUTH2 check: issued here, unexpired, and (delegated tokens) for this user."""
        issued = self.tokens.get(token)
        if issued is None or issued.expires_at < time.time():
            return False
        return not issued.username or issued.username.lower() == username.lower()

    def revoke_all(self) -> None:
        """Invalidate every access token (as a password change or policy would)."""
        self.tokens.clear()

    def wait_for_graph(self, count: int, timeout: float = 10.0) -> list[GraphMessage]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.graph_messages) < count:
                if not self._condition.wait(max(0.0, deadline - time.monotonic())):
                    raise AssertionError(f"expected {count} Graph messages")
        return list(self.graph_messages)

    # -- grants ----------------------------------------------------------------------------

    def grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        self.token_calls.append({k: form.get(k, "") for k in ("grant_type", "scope", "username")})
        if self.fail_with:
            return self.fail_with
        if client_id != self.client_id:
            return 400, _error(
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found "
                f"in the directory '{self.tenant}'.",
            )
        if secret != self.client_secret:
            return 401, _error(
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "
                "in the request is the client secret value, not the client secret ID.",
            )
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            return 200, self._issue("", form.get("scope", ""))
        if grant_type == "password":
            username = form.get("username", "")
            if self.users.get(username) != form.get("password"):
                return 400, _error(
                    "invalid_grant",
                    "AADSTS50126: Error validating credentials due to invalid username "
                    "or password.",
                )
            return 200, self._issue(username, form.get("scope", ""), refresh=True)
        if grant_type == "refresh_token":
            username = self.refresh_tokens.get(form.get("refresh_token", ""))
            if username is None:
                return 400, _error("invalid_grant", "AADSTS70008: The refresh token expired.")
            return 200, self._issue(username, form.get("scope", ""), refresh=True)
        return 400, _error("unsupported_grant_type", f"AADSTS70003: {grant_type} unsupported")

    def _issue(self, username: str, scope: str, *, refresh: bool = False) -> dict:
        token = secrets.token_urlsafe(TOKEN_LENGTH)[:TOKEN_LENGTH]
        self.tokens[token] = Issued(username, scope, time.time() + self.expires_in)
        body = {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": token,
        }
        if refresh:
            refresh_token = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh_token] = username
            body |= {
                "refresh_token": refresh_token,
                "id_token": self._id_token(username),
                "client_info": _b64url({"uid": _oid(username), "utid": "tenant-id"}),
            }
        return body

    def _id_token(self, username: str) -> str:
        now = int(time.time())
        claims = {
            "iss": f"{self.base_url}/{self.tenant}/v2.0",
            "aud": self.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + self.expires_in,
            "oid": _oid(username),
            "sub": _oid(username),
            "tid": "tenant-id",
            "preferred_username": username,
        }
        return f"{_b64url({'alg': 'none', 'typ': 'JWT'})}.{_b64url(claims)}."

    def openid_configuration(self, tenant: str) -> tuple[int, dict]:
        if tenant != self.tenant:
            return 400, _error("invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")
        base = f"{self.base_url}/{tenant}"
        return 200, {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
        }

    # -- Graph -----------------------------------------------------------------------------

    def send_mail(self, mailbox: str, token: str, content_type: str, body: bytes):
        if self.graph_fail:
            return self.graph_fail
        issued = self.tokens.get(token)
        if issued is None or issued.expires_at < time.time():
            return 401, {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token validation failure. Invalid audience.",
                }
            }
        with self._condition:
            self.graph_messages.append(GraphMessage(mailbox, content_type, body))
            self._condition.notify_all()
        return 202, None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def identity(self) -> IdentityTestServer:
        return self.server.identity  # type: ignore[attr-defined]

    def log_message(self, format, *args):  # noqa: A002 — quiet: tests read the records
        pass

    def do_GET(self):
        parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
        if parts[:2] == ["common", "userrealm"] and len(parts) == 3:
            self.identity.realm_calls.append(parts[2])
            return self._reply(200, {"ver": "1.0", "account_type": "Managed"})
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._reply(*self.identity.openid_configuration(parts[0]))
        return self._reply(404, {"error": "not_found"})

    def do_POST(self):
        path = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if path[1:] == ["oauth2", "v2.0", "token"] and self.identity.redirect_token_to:
            self.send_response(307)
            self.send_header("Location", self.identity.redirect_token_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path[1:] == ["oauth2", "v2.0", "token"]:
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            return self._reply(*self.identity.grant(form, self._basic()))
        if path[:2] == ["v1.0", "users"] and len(path) == 4 and path[3] == "sendMail":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            content_type = self.headers.get("Content-Type", "")
            return self._reply(*self.identity.send_mail(path[2], token, content_type, body))
        return self._reply(404, {"error": "not_found"})

    def _basic(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return unquote_plus(user), unquote_plus(secret)

    def _reply(self, status: int, body: dict | None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _error(code: str, description: str) -> dict:
    number = int(description.split(":")[0].removeprefix("AADSTS") or 0)
    return {
        "error": code,
        "error_description": f"{description}\r\nTrace ID: 0000 Correlation ID: 0000",
        "error_codes": [number],
    }


def _b64url(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _oid(username: str) -> str:
    return f"oid-{username}" if username else "oid-app"
