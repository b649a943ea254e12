"""Transports: one interface (`base.Transport`), chosen from a store's `TransportConfig`."""

from __future__ import annotations

from .base import SendResult, Transport, TransportConfig, TransportError
from .graph import GraphTransport
from .smtp import SMTPTransport
from .xoauth2 import XOAuth2Transport

__all__ = ["SendResult", "Transport", "TransportConfig", "TransportError", "get_transport"]


def get_transport(config: TransportConfig) -> Transport:
    """SMTP without AUTH / with Basic credentials, SMTP XOAUTH2, or Microsoft Graph."""
    if config.auth in ("none", "basic"):
        return SMTPTransport(config)
    if config.auth == "oauth2":
        return XOAuth2Transport(config)
    if config.auth == "graph":
        return GraphTransport(config)
    raise TransportError(f"Unknown authentication type {config.auth!r}.", permanent=True)
