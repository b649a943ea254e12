"""The national clouds an Entra ID tenant lives in: where it signs in and where Graph answers.

A tenant exists in one cloud only; the sign-in host and the Graph host must be that cloud's pair
(a US Government tenant is "not found" at login.microsoftonline.com). The two override boxes are
for a proxy in front of Microsoft, or for the loopback Graph server of the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Cloud(models.TextChoices):
    GLOBAL = "global", "Global (login.microsoftonline.com, graph.microsoft.com)"
    US_GOV = "usgov", "US Government (login.microsoftonline.us, graph.microsoft.us)"
    CHINA = "china", "China, operated by 21Vianet (login.chinacloudapi.cn)"


@dataclass(frozen=True)
class Endpoints:
    authority_host: str
    graph: str


ENDPOINTS = {
    Cloud.GLOBAL: Endpoints("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    Cloud.US_GOV: Endpoints("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    Cloud.CHINA: Endpoints(
        "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"
    ),
}
MICROSOFT_AUTHORITY_HOSTS = {e.authority_host.removeprefix("https://") for e in ENDPOINTS.values()}


def authority(cloud: str, tenant: str, override: str = "") -> str:
    """`https://login.microsoftonline.com/<tenant>`: msal's authority for the tenant."""
    host = (override or ENDPOINTS[Cloud(cloud)].authority_host).rstrip("/")
    return f"{host}/{tenant.strip()}"


def graph_root(cloud: str, override: str = "") -> str:
    """`https://graph.microsoft.com/v1.0`, the root every Graph request is made under."""
    return f"{(override or ENDPOINTS[Cloud(cloud)].graph).rstrip('/')}/v1.0"


def graph_scope(cloud: str, override: str = "") -> str:
    """The app-only scope: the Graph host's `.default` (its national host, or the override's)."""
    root = (override or ENDPOINTS[Cloud(cloud)].graph).rstrip("/")
    return f"{root}/.default"
