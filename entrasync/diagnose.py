"""The Test connection button: sign in with the client credentials, then read one user and one
group through Graph, and check the token grants what write-back needs. Every line is safe to
show: the tenant, hosts, permission names and Microsoft's error codes — never the secret.

A failure that points at one setting is also reported against that form field."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from .errors import EntraError, permission_missing
from .graph import GraphClient
from .models import EntraConnection

READS = (
    ("/users?$top=1&$select=id", "User.Read.All", "read users"),
    ("/groups?$top=1&$select=id", "Group.Read.All", "read groups and their members"),
)
WRITE_PERMISSIONS = {"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}


@dataclass
class TestReport:
    ok: bool = False
    lines: list[str] = field(default_factory=list)
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    def fail(self, message: str, field_name: str | None = None) -> None:
        self.lines.append(f"✗ {message}")
        if field_name:
            self.field_errors.setdefault(field_name, []).append(message)


def test_connection(conn: EntraConnection) -> TestReport:
    report = TestReport()
    client = GraphClient(conn, reuse_token=False)
    try:
        token = client.token()
    except EntraError as exc:
        report.fail(str(exc), exc.field)
        return report
    report.lines.append(f"✓ Signed in to tenant {conn.tenant} as application {conn.client_id}")
    for path, permission, doing in READS:
        if not _read(client, report, path, permission, doing):
            return report
    if conn.write_back and not WRITE_PERMISSIONS & _roles(token):
        report.fail(
            permission_missing("GroupMember.ReadWrite.All", "write member and owner changes back")
            + " Or turn off write-back."
        )
        return report
    if conn.write_back:
        report.lines.append("✓ May write member and owner changes back (GroupMember.ReadWrite.All)")
    report.ok = True
    return report


def _read(client: GraphClient, report: TestReport, path: str, permission: str, doing: str) -> bool:
    try:
        client.request("GET", path)
    except EntraError as exc:
        if exc.status == 403:
            report.fail(permission_missing(permission, doing))
        else:
            report.fail(str(exc), exc.field)
        return False
    report.lines.append(f"✓ May {doing} ({permission})")
    return True


def _roles(token: str) -> set[str]:
    """The application permissions granted, from the access token's `roles` claim (read for
    this check only; Graph itself verifies the token)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return set()
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return set(roles) if isinstance(roles, list) else set()
