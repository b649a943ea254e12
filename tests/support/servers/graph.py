"""A loopback HTTPS server shaped like Microsoft Entra ID's sign-in and Microsoft Graph, for the
Entra ID connector's tests and benchmark. The shapes follow Microsoft's documentation
(microsoft-graph-docs-contrib: user-delta, group-delta, group-post-members,
group-delete-members, user-post-manager, json-batching, paging, delta-query-overview, errors).

- Sign-in: `/<tenant>/v2.0/.well-known/openid-configuration` (unknown tenant: 400 AADSTS90002)
  and `/<tenant>/oauth2/v2.0/token` with the client-credentials grant (AADSTS700016,
  AADSTS7000215, AADSTS7000222 in `error`, `error_description`, `error_codes`). Tokens are
  JWT-shaped with the granted application permissions in `roles`.
- Graph v1.0: `/users/delta` and `/groups/delta` rounds (`$select`, `@odata.nextLink` with a
  `$skiptoken`, `@odata.deltaLink` with a `$deltatoken`, `@removed`, `members@delta`,
  `owners@delta`, `manager@delta`; a group's members split across pages as Graph does), plain
  collections with `$top`, `$batch`, `$ref` writes with Graph's refusals (403
  Authorization_RequestDenied, 404 Request_ResourceNotFound, 400 for an existing reference and
  for the last owner), 410 for an expired delta token, 429/503 with Retry-After.

Tests drive it directly: `add_user`, `add_group`, `add_member`, `remove_member`, `delete`,
`throttle(n)`, `expire_delta_tokens()`; `requests` records what was asked.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ALL_ROLES = ("User.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All", "User.ReadWrite.All")
DENIED = (
    403,
    {
        "error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
        }
    },
)


def user_id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012x}"


def group_id(j: int) -> str:
    return f"00000000-0000-4000-9000-{j:012x}"


def _ref(object_id: str, kind: str, removed: bool = False) -> dict:
    ref = {"@odata.type": f"#microsoft.graph.{kind}", "id": object_id}
    if removed:
        ref["@removed"] = {"reason": "deleted"}
    return ref


@dataclass(eq=False)
class GraphTestServer:
    tls_context: ssl.SSLContext
    tenant: str = "contoso.onmicrosoft.com"
    client_id: str = "11111111-2222-3333-4444-555555555555"
    client_secret: str = "entra-Secret~never-shown"
    secret_expired: bool = False
    roles: tuple[str, ...] = ALL_ROLES
    page_size: int = 100
    group_page_size: int = 20
    member_chunk: int = 1000  # members of one group per page entry (Graph splits big groups)
    retry_after: int = 1

    def __post_init__(self):
        self.users: dict[str, dict] = {}
        self.managers: dict[str, str] = {}
        self.groups: dict[str, dict] = {}
        self.members: dict[str, list[str]] = {}
        self.owners: dict[str, list[str]] = {}
        self.seq = 0
        self.touched: dict[str, int] = {}
        self.gone: dict[str, tuple[int, str]] = {}
        self.link_log: list[tuple[int, str, str, str, bool]] = []  # seq, group, rel, id, removed
        self.delta_floor = 0
        self.rounds: dict[str, list[dict]] = {}
        self.rounds_seq: dict[str, int] = {}
        self.tokens: set[str] = set()
        self.throttled: list[int] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- life ---------------------------------------------------------------------------------
    def start(self, port: int = 0) -> GraphTestServer:
        httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        httpd.daemon_threads = True
        httpd.socket = self.tls_context.wrap_socket(httpd.socket, server_side=True)
        httpd.graph = self  # type: ignore[attr-defined]
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

    # -- what tests do ------------------------------------------------------------------------
    def _tick(self) -> int:
        self.seq += 1
        return self.seq

    def add_user(self, uid: str, name: str, mail: str = "", **props) -> str:
        with self.lock:
            self.users[uid] = {
                "displayName": name,
                "mail": mail or None,
                "userPrincipalName": mail or f"{uid}@contoso.test",
                "accountEnabled": True,
                **props,
            }
            self.touched[uid] = self._tick()
        return uid

    def update_user(self, uid: str, **props) -> None:
        with self.lock:
            self.users[uid].update(props)
            self.touched[uid] = self._tick()

    def set_manager(self, uid: str, manager: str | None) -> None:
        with self.lock:
            if manager is None:
                self.managers.pop(uid, None)
            else:
                self.managers[uid] = manager
            self.touched[uid] = self._tick()

    def add_group(
        self,
        gid: str,
        name: str,
        *,
        mail: str = "",
        visibility: str = "Private",
        members=(),
        owners=(),
    ) -> str:
        with self.lock:
            self.groups[gid] = {
                "displayName": name,
                "mail": mail or None,
                "mailEnabled": bool(mail),
                "visibility": visibility,
            }
            self.members[gid] = list(dict.fromkeys(members))
            self.owners[gid] = list(dict.fromkeys(owners))
            self.touched[gid] = self._tick()
        return gid

    def add_member(self, gid: str, mid: str, rel: str = "members") -> bool:
        with self.lock:
            held = getattr(self, rel)[gid]
            if mid in held:
                return False
            held.append(mid)
            self.link_log.append((self._tick(), gid, rel, mid, False))
            return True

    def remove_member(self, gid: str, mid: str, rel: str = "members") -> bool:
        with self.lock:
            held = getattr(self, rel)[gid]
            if mid not in held:
                return False
            held.remove(mid)
            self.link_log.append((self._tick(), gid, rel, mid, True))
            return True

    def delete(self, object_id: str) -> None:
        with self.lock:
            kind = "user" if self.users.pop(object_id, None) is not None else "group"
            self.groups.pop(object_id, None)
            self.members.pop(object_id, None)
            self.owners.pop(object_id, None)
            self.managers.pop(object_id, None)
            for gid in list(self.members):
                for rel in ("members", "owners"):
                    if object_id in getattr(self, rel)[gid]:
                        getattr(self, rel)[gid].remove(object_id)
            self.gone[object_id] = (self._tick(), kind)

    def throttle(self, count: int, status: int = 429) -> None:
        """The next `count` Graph requests answer `status` with Retry-After."""
        with self.lock:
            self.throttled += [status] * count

    def expire_delta_tokens(self) -> None:
        """Every delta link issued so far answers 410 Gone (syncStateNotFound)."""
        with self.lock:
            self.delta_floor = self.seq + 1

    def graph_requests(self, method: str = "GET") -> list[str]:
        return [path for m, path in self.requests if m == method and "/v1.0/" in path]

    # -- sign-in ------------------------------------------------------------------------------
    def openid_configuration(self, tenant: str) -> tuple[int, dict]:
        if tenant != self.tenant:
            return 400, _aadsts(
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.",
            )
        base = f"{self.base_url}/{tenant}"
        return 200, {
            "issuer": f"{base}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        }

    def grant(self, tenant: str, form: dict[str, str]) -> tuple[int, dict]:
        if tenant != self.tenant:
            return self.openid_configuration(tenant)
        if form.get("client_id") != self.client_id:
            return 400, _aadsts(
                "unauthorized_client",
                700016,
                "Application with identifier "
                f"'{form.get('client_id')}' was not found in the directory.",
            )
        if form.get("client_secret") != self.client_secret:
            return 401, _aadsts("invalid_client", 7000215, "Invalid client secret provided.")
        if self.secret_expired:
            return 401, _aadsts(
                "invalid_client",
                7000222,
                f"The provided client secret keys for app '{self.client_id}' are expired.",
            )
        claims = {
            "aud": "https://graph.microsoft.com",
            "tid": "tenant-id",
            "roles": list(self.roles),
            "exp": int(time.time()) + 3600,
        }
        token = ".".join(
            (_b64({"typ": "JWT", "alg": "none"}), _b64(claims), secrets.token_urlsafe(32))
        )
        self.tokens.add(token)
        return 200, {
            "token_type": "Bearer",
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": token,
        }

    # -- Graph ---------------------------------------------------------------------------------
    def graph(self, method: str, path: str, query: dict, body: dict | None):
        """(status, body, headers) for one Graph request under /v1.0."""
        with self.lock:
            if self.throttled:
                status = self.throttled.pop(0)
                return (
                    status,
                    {
                        "error": {
                            "code": "TooManyRequests" if status == 429 else "serviceNotAvailable",
                            "message": "Try later.",
                        }
                    },
                    {"Retry-After": str(self.retry_after)},
                )
            return (*_route(self, method, path, query, body), {})

    def allowed(self, role: str) -> bool:
        return role in self.roles

    def page(self, round_id: str, offset: int, size: int) -> dict:
        entries = self.rounds[round_id]
        body = {
            "@odata.context": f"{self.base_url}/v1.0/$metadata#directoryObjects",
            "value": entries[offset : offset + size],
        }
        if offset + size < len(entries):
            body["@odata.nextLink"] = self._link(round_id, f"$skiptoken={round_id}.{offset + size}")
        else:
            token = self.rounds_seq.pop(round_id)
            body["@odata.deltaLink"] = self._link(round_id, f"$deltatoken={token}")
            del self.rounds[round_id]
        return body

    def _link(self, round_id: str, token: str) -> str:
        kind = round_id.split("-")[0]
        return f"{self.base_url}/v1.0/{kind}/delta?{token}"

    def open_round(self, kind: str, since: int | None) -> str:
        entries = _user_entries(self, since) if kind == "users" else _group_entries(self, since)
        round_id = f"{kind}-{secrets.token_hex(6)}"
        self.rounds[round_id] = entries
        self.rounds_seq[round_id] = self.seq
        return round_id


def _user_entries(server: GraphTestServer, since: int | None) -> list[dict]:
    out = []
    if since is not None:
        out += [
            {"id": oid, "@removed": {"reason": "changed"}}
            for oid, (seq, kind) in server.gone.items()
            if seq > since and kind == "user"
        ]
    for uid, props in server.users.items():
        if since is not None and server.touched.get(uid, 0) <= since:
            continue
        entry = {"id": uid, **props}
        manager = server.managers.get(uid)
        if manager:
            entry["manager@delta"] = [_ref(manager, "user")]
        elif since is not None:
            entry["manager@delta"] = []
        out.append(entry)
    return out


def _kind_of(server: GraphTestServer, object_id: str) -> str:
    return "group" if object_id in server.groups else "user"


def _group_entries(server: GraphTestServer, since: int | None) -> list[dict]:
    if since is None:
        return [e for gid in server.groups for e in _whole_group(server, gid)]
    out = [
        {"id": oid, "@removed": {"reason": "changed"}}
        for oid, (seq, kind) in server.gone.items()
        if seq > since and kind == "group"
    ]
    changed: dict[str, dict] = {}
    for seq, gid, rel, mid, removed in server.link_log:
        if seq > since and gid in server.groups:
            refs = changed.setdefault(gid, {}).setdefault(f"{rel}@delta", {})
            refs[mid] = _ref(mid, _kind_of(server, mid), removed)
    for gid, props in server.groups.items():
        if server.touched.get(gid, 0) > since or gid in changed:
            rels = {k: list(v.values()) for k, v in changed.get(gid, {}).items()}
            out.append({"id": gid, **props, **rels})
    return out


def _whole_group(server: GraphTestServer, gid: str) -> list[dict]:
    members = server.members[gid]
    chunk = server.member_chunk
    parts = [members[i : i + chunk] for i in range(0, len(members), chunk)] or [[]]
    entries = []
    for n, part in enumerate(parts):
        entry = {"id": gid, **server.groups[gid]} if n == 0 else {"id": gid}
        entry["members@delta"] = [_ref(m, _kind_of(server, m)) for m in part]
        if n == 0:
            entry["owners@delta"] = [_ref(o, _kind_of(server, o)) for o in server.owners[gid]]
        entries.append(entry)
    return entries


def _route(server: GraphTestServer, method: str, path: str, query: dict, body):
    parts = path.split("/")
    if parts[0] in ("users", "groups") and len(parts) == 2 and parts[1] == "delta":
        return _delta(server, parts[0], query)
    if method == "GET" and len(parts) == 1 and parts[0] in ("users", "groups"):
        return _collection(server, parts[0], query)
    if method == "POST" and parts == ["$batch"]:
        return _batch(server, body or {})
    if parts[0] == "groups" and len(parts) >= 2:
        return _group_route(server, method, parts[1:], body)
    if parts[0] == "users" and len(parts) >= 2:
        return _user_route(server, method, parts[1:], body)
    return _not_found(path)


def _delta(server: GraphTestServer, kind: str, query: dict):
    role = "User.Read.All" if kind == "users" else "Group.Read.All"
    if not server.allowed(role):
        return DENIED
    if "$skiptoken" in query:
        round_id, _, offset = query["$skiptoken"].rpartition(".")
        if round_id not in server.rounds:
            return 400, {"error": {"code": "Request_BadRequest", "message": "Bad skiptoken."}}
        return 200, server.page(round_id, int(offset), _size(server, kind))
    since = None
    if "$deltatoken" in query:
        since = int(query["$deltatoken"])
        if since < server.delta_floor:
            return 410, {
                "error": {
                    "code": "syncStateNotFound",
                    "message": "The sync state generation is not found.",
                }
            }
    return 200, server.page(server.open_round(kind, since), 0, _size(server, kind))


def _size(server: GraphTestServer, kind: str) -> int:
    return server.page_size if kind == "users" else server.group_page_size


def _collection(server: GraphTestServer, kind: str, query: dict):
    role = "User.Read.All" if kind == "users" else "Group.Read.All"
    if not server.allowed(role):
        return DENIED
    top = int(query.get("$top", server.page_size))
    source = server.users if kind == "users" else server.groups
    return 200, {"value": [{"id": oid} for oid in list(source)[:top]]}


def _batch(server: GraphTestServer, body: dict):
    """JSON batching: up to 20 requests, each answered with its id, status and body."""
    requests = body.get("requests") or []
    if len(requests) > 20:
        return 400, {"error": {"code": "BadRequest", "message": "Too many requests in batch."}}
    responses = []
    for item in requests:
        url = urlsplit(item.get("url", ""))
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        status, answer = _route(
            server, item.get("method", "GET"), url.path.strip("/"), query, item.get("body")
        )
        responses.append({"id": item.get("id"), "status": status, "body": answer})
    return 200, {"responses": responses}


def _group_route(server: GraphTestServer, method: str, parts: list[str], body):
    gid = parts[0]
    if gid not in server.groups:
        return _not_found(gid)
    if len(parts) == 1 and method == "GET":
        return 200, {"id": gid, **server.groups[gid]}
    rel = parts[1] if len(parts) > 1 else ""
    if rel not in ("members", "owners"):
        return _not_found("/".join(parts))
    if method == "GET" and len(parts) == 2:
        return 200, {"value": [{"id": o} for o in getattr(server, rel)[gid]]}
    if not server.allowed("GroupMember.ReadWrite.All"):
        return DENIED
    if method == "POST" and parts[2:] == ["$ref"]:
        return _add_ref(server, gid, rel, body)
    if method == "DELETE" and len(parts) == 4 and parts[3] == "$ref":
        return _remove_ref(server, gid, rel, parts[2])
    return _not_found("/".join(parts))


def _ref_target(server: GraphTestServer, body) -> str | None:
    target = str((body or {}).get("@odata.id", "")).rstrip("/").rsplit("/", 1)[-1]
    return target if target in server.users or target in server.groups else None


def _add_ref(server: GraphTestServer, gid: str, rel: str, body):
    target = _ref_target(server, body)
    if target is None:
        return _not_found(str((body or {}).get("@odata.id")))
    if not server.add_member(gid, target, rel):
        return 400, {
            "error": {
                "code": "Request_BadRequest",
                "message": "One or more added "
                f"object references already exist for the following modified properties: "
                f"'{rel}'.",
            }
        }
    return 204, None


def _remove_ref(server: GraphTestServer, gid: str, rel: str, target: str):
    if rel == "owners" and server.owners[gid] == [target]:
        return 400, {
            "error": {
                "code": "Request_BadRequest",
                "message": "Cannot remove the "
                "last owner of this group: a group must have at least one owner.",
            }
        }
    if not server.remove_member(gid, target, rel):
        return _not_found(target)
    return 204, None


def _user_route(server: GraphTestServer, method: str, parts: list[str], body):
    uid = parts[0]
    if uid not in server.users:
        return _not_found(uid)
    if len(parts) == 1 and method == "GET":
        return 200, {"id": uid, **server.users[uid]}
    if parts[1:] != ["manager", "$ref"]:
        return _not_found("/".join(parts))
    if not server.allowed("User.ReadWrite.All"):
        return DENIED
    if method == "PUT":
        target = _ref_target(server, body)
        if target is None:
            return _not_found(str((body or {}).get("@odata.id")))
        server.set_manager(uid, target)
        return 204, None
    if method == "DELETE":
        if uid not in server.managers:
            return _not_found(f"{uid}/manager")
        server.set_manager(uid, None)
        return 204, None
    return _not_found("/".join(parts))


def _not_found(what: str):
    return 404, {
        "error": {
            "code": "Request_ResourceNotFound",
            "message": f"Resource '{what}' "
            "does not exist or one of its queried reference-property objects are not "
            "present.",
        }
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def graph(self) -> GraphTestServer:
        return self.server.graph  # type: ignore[attr-defined]

    def log_message(self, format, *args):  # noqa: A002 — quiet: tests read `requests`
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        self.graph.requests.append((method, self.path))
        if parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._reply(*self.graph.openid_configuration(parts[0]))
        if parts[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            return self._reply(*self.graph.grant(parts[0], form))
        if parts[0] != "v1.0":
            return self._reply(404, {"error": "not_found"})
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.graph.tokens:
            return self._reply(
                401,
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token is empty.",
                    }
                },
            )
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = json.loads(raw) if raw else None
        self._reply(*self.graph.graph(method, "/".join(parts[1:]), query, body))

    def _reply(self, status: int, body: dict | None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _aadsts(error: str, code: int, text: str) -> dict:
    return {
        "error": error,
        "error_codes": [code],
        "error_description": f"AADSTS{code}: {text}\r\nTrace ID: 0000 Correlation ID: 0000 "
        "Timestamp: 2026-01-01 00:00:00Z",
    }


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
