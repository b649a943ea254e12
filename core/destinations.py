"""Where this server may connect on an admin's behalf: the one outbound destination policy.

Admins type the hosts the web and worker processes then connect to (SMTP Server, Token
Endpoint, LDAP server), so a co-admin could aim them at what only this server can reach: cloud
metadata services, link-local addresses, internal services. Every such connection — at Save,
Test Server, token and Graph requests, delivery and LDAP tests — goes through `check`:

- link-local, cloud metadata and reserved addresses are always refused, in every spelling an
  IPv6 address can carry an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96`` and
  ``64:ff9b:1::/48``, 6to4, Teredo); integer and octal forms are read by getaddrinfo, and the
  address it returns is what is checked;
- ``DIRMGR_DESTINATIONS_DENIED`` refuses the listed networks or hosts (optionally per port);
  ``DIRMGR_DESTINATIONS_ALLOWED``, when set, refuses everything it does not list;
- `check` resolves a name once and returns the addresses it approved. Callers connect to those
  (`open_socket`, `checked_address`), never to the name again: a DNS answer that changes between
  the check and the connection (DNS rebinding) cannot send them elsewhere.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ALWAYS_REFUSED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this host": reaches the server itself
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (AWS, Azure, GCP metadata)
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "224.0.0.0/3",  # multicast, reserved, broadcast
        "::/128",  # unspecified
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS IPv6 metadata
        "ff00::/8",  # IPv6 multicast
    )
)
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class DestinationRefused(Exception):
    """This server may not connect there; the message says why in plain words."""


class NothingAnswered(ConnectionError):
    """No checked address accepted the connection (refused or timed out: not told apart)."""


@dataclass(frozen=True)
class Rule:
    """One operator entry: a network or a host name (``*.example.com`` for a domain), a port."""

    network: Network | None
    host: str
    port: int | None

    def matches(self, host: str, address: IPAddress | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address is not None and any(a in self.network for a in spellings(address))
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return self.host == host


def parse_rule(text: str) -> Rule:
    """``10.0.0.0/8:25``, ``[2001:db8::/32]:587``, ``smtp.office365.com:587``, ``*.corp.test``."""
    text = text.strip()
    port: int | None = None
    try:
        if text.startswith("["):
            inner, _, rest = text[1:].partition("]")
            text, port = inner, int(rest[1:]) if rest.startswith(":") else None
        elif text.count(":") == 1:
            text, port_text = text.split(":")
            port = int(port_text)
    except ValueError:
        raise ImproperlyConfigured(
            f"Destination rule {text!r}: the port is not a number."
        ) from None
    try:
        return Rule(ipaddress.ip_network(text, strict=False), "", port)
    except ValueError:
        return Rule(None, text.lower().rstrip("."), port)


@functools.cache
def _rules(entries: tuple[str, ...]) -> tuple[Rule, ...]:
    return tuple(parse_rule(entry) for entry in entries if entry.strip())


def spellings(address: IPAddress) -> list[IPAddress]:
    """The address and every IPv4 address it embeds (what it may reach through a translator)."""
    if address.version == 4:
        return [address]
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(address.packed[12:]))
    if address in NAT64_LOCAL:
        found += _rfc6052_candidates(address.packed)
    return [address, *(a for a in found if a is not None)]


def _rfc6052_candidates(packed: bytes) -> list[IPAddress]:
    """RFC 6052 §2.2: after a /48, /56, /64 or /96 prefix, skipping bits 64–71."""
    spans = (packed[6:8] + packed[9:11], packed[7:8] + packed[9:12], packed[9:13], packed[12:16])
    return [ipaddress.IPv4Address(span) for span in spans]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal is its own). Raises socket.gaierror."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise socket.gaierror(socket.EAI_NONAME, str(exc)) from None
    found = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    return list(dict.fromkeys(found))


def check(host: str, port: int) -> list[IPAddress]:
    """The addresses of host:port this server may connect to; DestinationRefused if any is not.

    A name that does not resolve is not refused by itself (it may resolve where it is used):
    the result is then empty, and connecting fails with the DNS error.
    """
    name = host.strip().strip("[]").rstrip(".").lower()
    try:
        addresses = resolve(name, port)
    except (socket.gaierror, ValueError):
        addresses = []
    for address in addresses:
        _check_address(name, address, port)
    if not addresses:
        _check_rules(name, None, port)
    return addresses


def _check_address(name: str, address: IPAddress, port: int) -> None:
    if any(a in network for a in spellings(address) for network in ALWAYS_REFUSED):
        what = name if name == str(address) else f"{name} resolves to {address}, which"
        raise DestinationRefused(
            f"{what} is a link-local, cloud metadata or reserved address: this Admin Center "
            "never connects there."
        )
    _check_rules(name, address, port)


def _check_rules(name: str, address: IPAddress | None, port: int) -> None:
    denied = _rules(tuple(settings.DIRMGR_DESTINATIONS_DENIED))
    if any(rule.matches(name, address, port) for rule in denied):
        raise DestinationRefused(
            f"{name}:{port} is among the destinations this Admin Center may not connect to "
            "(DIRMGR_DESTINATIONS_DENIED). Ask the Admin Center's operator."
        )
    allowed = _rules(tuple(settings.DIRMGR_DESTINATIONS_ALLOWED))
    if address is None and not any(rule.network is None for rule in allowed):
        return  # unresolved: only a name rule can decide, and none exists
    if allowed and not any(rule.matches(name, address, port) for rule in allowed):
        raise DestinationRefused(
            f"{name}:{port} is not among the destinations this Admin Center may connect to "
            "(DIRMGR_DESTINATIONS_ALLOWED). Ask the Admin Center's operator."
        )


def checked_address(host: str, port: int) -> IPAddress:
    """The first approved address of host:port, to connect to instead of the name."""
    addresses = check(host, port)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} does not resolve")
    return addresses[0]


async def open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A socket connected to the first approved address of host:port that accepts.

    Refused and timed-out attempts end alike in NothingAnswered, so an admin cannot tell a
    closed port from a filtered one; the precise reason goes to the server log only.
    """
    addresses = await asyncio.to_thread(check, host, port)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} does not resolve")
    deadline = time.monotonic() + timeout
    loop = asyncio.get_running_loop()
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET)
        sock.setblocking(False)
        try:
            remaining = max(deadline - time.monotonic(), 0.001)
            await asyncio.wait_for(loop.sock_connect(sock, (str(address), port)), remaining)
            return sock
        except OSError as exc:  # TimeoutError included
            sock.close()
            log.info("Connecting to %s (%s) port %s: %r", host, address, port, exc)
    raise NothingAnswered(f"nothing answered at {host}:{port}")
