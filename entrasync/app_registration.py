"""The directory client secret's end date, from the app registration itself.

`GET /applications(appId='{client id}')?$select=passwordCredentials` needs the application
permission Application.Read.All. Graph never returns a secret's value, only its first characters
(`hint`), so the credential whose hint starts our secret is the one in use; when several match,
the latest end date counts (a rotation in progress).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from urllib.parse import urlsplit

from . import clouds
from .errors import EntraError
from .graph import GraphClient
from .models import EntraConnection

log = logging.getLogger(__name__)
NOT_GRANTED = 403


def secret_end_date(conn: EntraConnection) -> date | None:
    """The end date of the secret in use, or None when Graph cannot tell (no permission)."""
    path = f"/applications(appId='{conn.client_id}')?$select=passwordCredentials"
    try:
        body = GraphClient(conn).request("GET", path) or {}
    except EntraError as exc:
        if exc.status != NOT_GRANTED:
            log.warning("entra app registration store=%s: %s", conn.store_id, exc)
        return None
    return _matching_end(body.get("passwordCredentials") or [], str(conn.client_secret))


def token_endpoint_connection(
    token_endpoint: str, client_id: str, client_secret: str
) -> EntraConnection | None:
    """An unsaved connection for another client secret of the tenant (the SMTP OAuth one),
    when its token endpoint is an Entra ID one: `https://<host>/<tenant>/oauth2/v2.0/token`.
    On Microsoft's hosts Graph is the cloud's own; any other host (a proxy) serves both."""
    parts = urlsplit(token_endpoint.strip())
    segments = parts.path.strip("/").split("/")
    if parts.scheme != "https" or segments[1:] != ["oauth2", "v2.0", "token"]:
        return None
    host = f"https://{parts.netloc}"
    cloud = next((c for c, e in clouds.ENDPOINTS.items() if e.authority_host == host), None)
    return EntraConnection(
        tenant=segments[0],
        client_id=client_id,
        client_secret=client_secret,
        cloud=cloud or clouds.Cloud.GLOBAL,
        authority_url="" if cloud else host,
        graph_url="" if cloud else host,
    )


def _matching_end(credentials: list[dict], secret: str) -> date | None:
    ends = [
        _date(c.get("endDateTime"))
        for c in credentials
        if c.get("hint") and secret.startswith(str(c["hint"]))
    ]
    known = [d for d in ends if d is not None]
    return max(known) if known else None


def _date(value) -> date | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None
