"""The loopback Graph server plus Entra ID's OpenID Connect sign-in, for "Sign in with Microsoft".

Shapes from Microsoft's identity platform documentation (v2-protocols-oidc,
v2-oauth2-auth-code-flow, id-token-claims-reference, access-token-claims-reference "groups
overage"): the tenant's `/{tenant}/v2.0/.well-known/openid-configuration` with `issuer`
(`.../{tenant id}/v2.0`) and `jwks_uri`; `/{tenant}/discovery/v2.0/keys` (also at
`/discovery/v2.0/keys`), an RSA key made once per test run; `/{tenant}/oauth2/v2.0/authorize`,
a small page where the test "user" picks an account, redirecting back with `code` and `state`;
the token endpoint's `authorization_code` grant, which checks the PKCE `code_verifier` against the
`code_challenge` (AADSTS501481) and the redirect URI, and returns a signed `id_token` with `iss`,
`aud`, `nonce`, `oid`, `tid`, `preferred_username`, `name` and `groups` (or the overage claim
`_claim_names` when the account is in more groups than `groups_limit`).

Tests spoil the ID token on purpose through `id_token_changes` (claims to override) and
`sign_with_foreign_key` (a key that is not in the JWKS).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .graph import DENIED, GraphTestServer, _aadsts, _Handler

KID = "loopback-signing-key"


@cache
def signing_key() -> rsa.RSAPrivateKey:
    """The tenant's signing key, generated once per test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(eq=False)
class EntraSignInServer(GraphTestServer):
    tenant_id: str = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    groups_claim: bool = True
    groups_limit: int = 200  # JWT tokens: Microsoft's overage limit
    id_token_changes: dict = field(default_factory=dict)
    sign_with_foreign_key: bool = False
    password_credentials: list = field(default_factory=list)  # the app registration's secrets

    def __post_init__(self):
        super().__post_init__()
        self.codes: dict[str, dict] = {}
        self.signins: list[str] = []  # object IDs that were issued an ID token

    def start(self, port: int = 0) -> EntraSignInServer:
        super().start(port)
        self._httpd.RequestHandlerClass = _SignInHandler  # type: ignore[union-attr]
        return self

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/v2.0"

    def openid_configuration(self, tenant: str) -> tuple[int, dict]:
        status, body = super().openid_configuration(tenant)
        if status != 200:
            return status, body
        base = f"{self.base_url}/{tenant}"
        body.update(
            issuer=self.issuer,
            jwks_uri=f"{base}/discovery/v2.0/keys",
            response_types_supported=["code", "id_token", "code id_token", "id_token token"],
            response_modes_supported=["query", "fragment", "form_post"],
            subject_types_supported=["pairwise"],
            id_token_signing_alg_values_supported=["RS256"],
            scopes_supported=["openid", "profile", "email", "offline_access"],
            claims_supported=["sub", "iss", "aud", "exp", "iat", "nonce", "oid", "tid", "name"],
            tenant_region_scope="EU",
        )
        return status, body

    def jwks(self) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key().public_key(), as_dict=True)
        public.update(kid=KID, use="sig", issuer=self.issuer)
        return {"keys": [public]}

    # -- the app registration (Graph) -------------------------------------------------------------
    def graph(self, method: str, path: str, query: dict, body: dict | None):
        if path.startswith("applications(") and method == "GET":
            return (*self.application(path), {})
        return super().graph(method, path, query, body)

    def application(self, path: str) -> tuple[int, dict]:
        """`applications(appId='…')` with `passwordCredentials`, as Graph's "Get application"."""
        if "Application.Read.All" not in self.roles:
            return DENIED
        if path != f"applications(appId='{self.client_id}')":
            return 404, {"error": {"code": "Request_ResourceNotFound", "message": path}}
        return 200, {
            "@odata.context": f"{self.base_url}/v1.0/$metadata"
            "#applications(passwordCredentials)/$entity",
            "passwordCredentials": self.password_credentials,
        }

    # -- authorize ------------------------------------------------------------------------------
    def authorize_page(self, tenant: str, query: dict[str, str]) -> tuple[int, str, str]:
        """(status, HTML, redirect location) for the authorize endpoint."""
        if tenant != self.tenant:
            return 400, "<p>AADSTS90002: Tenant not found.</p>", ""
        if query.get("client_id") != self.client_id:
            return 400, "<p>AADSTS700016: Application not found in the directory.</p>", ""
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return 400, "<p>AADSTS900144: code and S256 challenge required.</p>", ""
        if "account" in query:
            return 302, "", self._issue_code(query)
        return 200, self._account_form(query), ""

    def _account_form(self, query: dict[str, str]) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        choices = "".join(
            f'<li><button type="submit" name="account" value="{uid}">'
            f"{html.escape(u['displayName'])} ({html.escape(u['userPrincipalName'])})</button></li>"
            for uid, u in self.users.items()
        )
        return (
            "<!doctype html><html><head><title>Sign in to your account</title></head><body>"
            f"<h1>Pick an account</h1><form method='get'>{hidden}<ul>{choices}</ul></form>"
            "</body></html>"
        )

    def _issue_code(self, query: dict[str, str]) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "oid": query["account"],
            "challenge": query.get("code_challenge", ""),
            "nonce": query.get("nonce", ""),
            "redirect_uri": query.get("redirect_uri", ""),
        }
        back = {"code": code, "state": query.get("state", ""), "session_state": "loopback"}
        return f"{query.get('redirect_uri', '')}?{urlencode(back)}"

    # -- token ----------------------------------------------------------------------------------
    def grant(self, tenant: str, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("grant_type") != "authorization_code":
            return super().grant(tenant, form)
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, _aadsts("invalid_client", 7000215, "Invalid client secret provided.")
        issued = self.codes.pop(form.get("code", ""), None)
        if issued is None:
            return 400, _aadsts(
                "invalid_grant", 70008, "The provided authorization code has expired."
            )
        if _challenge(form.get("code_verifier", "")) != issued["challenge"]:
            return 400, _aadsts(
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the "
                "authorization request.",
            )
        if form.get("redirect_uri") != issued["redirect_uri"]:
            return 400, _aadsts("invalid_grant", 50011, "The redirect URI does not match.")
        return 200, self._tokens(issued)

    def _tokens(self, issued: dict) -> dict:
        oid = issued["oid"]
        self.signins.append(oid)
        info = {"uid": oid, "utid": self.tenant_id}
        return {
            "token_type": "Bearer",
            "scope": "openid profile email",
            "expires_in": 3600,
            "id_token": self.id_token(oid, issued["nonce"]),
            "client_info": base64.urlsafe_b64encode(json.dumps(info).encode())
            .rstrip(b"=")
            .decode(),
        }

    def id_token(self, oid: str, nonce: str) -> str:
        user = self.users[oid]
        now = int(time.time())
        claims = {
            "ver": "2.0",
            "iss": self.issuer,
            "sub": hashlib.sha256(oid.encode()).hexdigest()[:43],
            "aud": self.client_id,
            "exp": now + 3600,
            "iat": now,
            "nbf": now,
            "nonce": nonce,
            "oid": oid,
            "tid": self.tenant_id,
            "name": user["displayName"],
            "preferred_username": user["userPrincipalName"],
            **self._groups(oid),
        }
        claims.update(self.id_token_changes)
        key, kid = (
            (foreign_key(), "unknown-key")
            if self.sign_with_foreign_key
            else (
                signing_key(),
                KID,
            )
        )
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def _groups(self, oid: str) -> dict:
        if not self.groups_claim:
            return {}
        groups = self.groups_of(oid)
        if len(groups) > self.groups_limit:
            return {
                "_claim_names": {"groups": "src1"},
                "_claim_sources": {
                    "src1": {
                        "endpoint": f"https://graph.microsoft.com/v1.0/users/{oid}/getMemberObjects"
                    }
                },
            }
        return {"groups": sorted(groups)}

    def groups_of(self, object_id: str) -> set[str]:
        """Every group the object is in, directly or through nested groups (as the claim)."""
        with self.lock:
            found: set[str] = set()
            frontier = {object_id}
            while frontier:
                parents = {g for g, members in self.members.items() if frontier & set(members)}
                frontier = parents - found
                found |= parents
            return found


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _SignInHandler(_Handler):
    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        server: EntraSignInServer = self.graph  # type: ignore[assignment]
        if parts[-3:] == ["discovery", "v2.0", "keys"]:
            server.requests.append((method, self.path))
            return self._reply(200, server.jwks())
        if parts[1:] == ["oauth2", "v2.0", "authorize"] and method == "GET":
            server.requests.append((method, self.path))
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            return self._page(*server.authorize_page(parts[0], query))
        return super()._dispatch(method)

    def _page(self, status: int, text: str, location: str) -> None:
        data = text.encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
