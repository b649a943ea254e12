"""From a store's saved (or about-to-be-saved) settings to the TransportConfig a transport uses.

One place decides which transport a configuration means, so the Test Server button and the
workers can never disagree.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .models import NotificationSettings
from .transports.base import TransportConfig


def is_graph_endpoint(url: str) -> bool:
    """The Office 365 variant puts a Graph endpoint (…/v1.0) where a token endpoint would go."""
    path = urlsplit(url).path.rstrip("/").lower()
    return bool(url) and "/oauth2/" not in path and not path.endswith("/token")


def auth_mode(settings: NotificationSettings) -> str:
    if not settings.use_smtp_auth:
        return "none"
    if settings.auth_type == NotificationSettings.AuthType.BASIC:
        return "basic"
    return "graph" if is_graph_endpoint(settings.token_endpoint) else "oauth2"


def config_from_settings(
    settings: NotificationSettings, *, acting_username: str = "", acting_password: str = ""
) -> TransportConfig:
    """Without SMTP user authentication the acting admin's sign-in credentials are used (if any)."""
    mode = auth_mode(settings)
    common = {
        "host": settings.smtp_host,
        "port": settings.port,
        "from_email": settings.from_email,
        "ssl_enabled": settings.ssl_enabled,
        "auth": mode,
    }
    if mode == "none":
        return TransportConfig(**common, username=acting_username, password=acting_password)
    if mode == "basic":
        return TransportConfig(
            **common, username=settings.smtp_username, password=settings.smtp_password
        )
    return TransportConfig(
        **common,
        username=settings.oauth_username,
        password=settings.oauth_password,
        token_endpoint=settings.token_endpoint,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scope=settings.scope,
    )
