"""Where this server may connect on an admin's behalf: the one outbound destination policy.

Admins type the hosts the web and worker processes then connect to (SMTP Server, Token
Endpoint, LDAP server), so a co-admin could aim them at what only this server can reach: cloud
metadata services, link-local addresses, internal services. Every such connection — at Save,
Test Server, token and Graph requests, delivery and LDAP tests — goes through `check`:

- link-local, cloud metadata and reserved addresses are always refused, in every spelling an
  IPv6 address can carry an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96`` and
  ``64:ff9b:1::/48``, 6to4, Teredo); integer and octal forms are read by getaddrinfo, and the
  address it returns is what is checked (`reserved_addresses.py`);
- ``DIRMGR_DESTINATIONS_DENIED`` refuses the listed networks or hosts (optionally per port);
  ``DIRMGR_DESTINATIONS_ALLOWED``, when set, refuses everything it does not list
  (`destination_rules.py`);
- `check` resolves a name once and returns the addresses it approved. Callers connect to those
  (`open_socket`, `checked_address`), never to the name again: a DNS answer that changes between
  the check and the connection (DNS rebinding) cannot send them elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time

from django.conf import settings

from .destination_rules import rules_of
from .reserved_addresses import IPAddress, is_always_refused

log = logging.getLogger(__name__)


class DestinationRefused(Exception):
    """This server may not connect there; the message says why in plain words."""


class NothingAnswered(ConnectionError):
    """No checked address accepted the connection (refused or timed out: not told apart)."""


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
    if is_always_refused(address):
        what = name if name == str(address) else f"{name} resolves to {address}, which"
        raise DestinationRefused(
            f"{what} is a link-local, cloud metadata or reserved address: this Admin Center "
            "never connects there."
        )
    _check_rules(name, address, port)


def _check_rules(name: str, address: IPAddress | None, port: int) -> None:
    denied = rules_of(tuple(settings.DIRMGR_DESTINATIONS_DENIED))
    if any(rule.matches(name, address, port) for rule in denied):
        raise DestinationRefused(
            f"{name}:{port} is among the destinations this Admin Center may not connect to "
            "(DIRMGR_DESTINATIONS_DENIED). Ask the Admin Center's operator."
        )
    allowed = rules_of(tuple(settings.DIRMGR_DESTINATIONS_ALLOWED))
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
