"""The client's address as sign-in throttling sees it.

Behind a reverse proxy every connection comes from the proxy, so counting failures per peer
address would lock a username for everyone. X-Forwarded-For is believed only when the peer is a
proxy the operator listed (``DIRMGR_TRUSTED_PROXIES``); then the client is the entry that the
outermost of ``DIRMGR_TRUSTED_PROXY_COUNT`` proxies appended, counted from the right, so entries
a client writes into the header itself are never used. django-ipware parses the header.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ipware import get_client_ip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


@cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DIRMGR_TRUSTED_PROXIES: {exc} (use addresses or networks such as 172.16.0.0/12)"
        ) from None


def _proxy_count() -> int:
    count = settings.TRUSTED_PROXY_COUNT
    if count < 1:
        raise ImproperlyConfigured("DIRMGR_TRUSTED_PROXY_COUNT must be 1 or more.")
    return count


def is_trusted_proxy(address: str) -> bool:
    """Whether a connection from `address` comes from a reverse proxy the operator trusts."""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
        peer = peer.ipv4_mapped
    return any(peer in network for network in networks)


def check_proxy_settings(**kwargs) -> list[checks.Error]:
    """System check (apps.py): a mistyped proxy setting fails at start, not at the next sign-in."""
    try:
        _networks(tuple(settings.TRUSTED_PROXIES))
        _proxy_count()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="dirmgr.E001")]
    return []


def client_address(request: HttpRequest) -> str | None:
    """The peer address, or the forwarded client address when the peer is a trusted proxy.

    A trusted proxy's request without enough forwarded entries (the proxy itself, a health
    check) counts under the proxy's own address."""
    peer = request.META.get("REMOTE_ADDR")
    if not peer or not is_trusted_proxy(peer):
        return peer
    forwarded, _routable = get_client_ip(
        request,
        # ipware counts the proxies listed in the header; the nearest one is the peer itself.
        proxy_count=_proxy_count() - 1,
        request_header_order=[FORWARDED_HEADER],
        strict=False,
    )
    return forwarded or peer
