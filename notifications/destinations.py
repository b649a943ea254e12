"""Where the Test Server button may make this server connect.

Pressing Test Server makes the server open a connection to an admin-chosen host and port, so it
must not become a way to reach what only the server can reach. Link-local and cloud metadata
addresses are always refused; `TEST_SERVER_ALLOWED_DESTINATIONS` (off by default) narrows it to a
list of networks/hosts with optional ports, e.g. ``10.0.0.0/8:25,smtp.office365.com:587``.
The check resolves the name itself, so a name pointing at a refused address is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALWAYS_REFUSED = [
    ipaddress.ip_network("169.254.0.0/16"),  # link-local, incl. 169.254.169.254 metadata
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IPv6 metadata
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
]


class DestinationRefused(Exception):
    """The admin may not make the server connect there; the message says why."""


@dataclass(frozen=True)
class Rule:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    host: str
    port: int | None

    def matches(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address in self.network
        return self.host == host.lower()


def parse_rule(text: str) -> Rule:
    text = text.strip()
    port: int | None = None
    if text.startswith("["):  # [2001:db8::/32]:25
        inner, _, rest = text[1:].partition("]")
        text, port = inner, int(rest[1:]) if rest.startswith(":") else None
    elif text.count(":") == 1:
        text, port_text = text.split(":")
        port = int(port_text)
    try:
        return Rule(ipaddress.ip_network(text, strict=False), "", port)
    except ValueError:
        return Rule(None, text.lower(), port)


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []  # the transport reports "does not resolve" in its own words
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check(host: str, port: int) -> None:
    """Raise DestinationRefused if the Test Server button may not connect to host:port."""
    addresses = resolve(host, port)
    for address in addresses:
        if any(address in network for network in ALWAYS_REFUSED):
            raise DestinationRefused(
                f"{host} resolves to {address}, a link-local or cloud metadata address. "
                "Test Server does not connect there."
            )
    rules = [parse_rule(r) for r in settings.TEST_SERVER_ALLOWED_DESTINATIONS]
    if not rules or not addresses:
        return
    if not all(any(rule.matches(host, a, port) for rule in rules) for a in addresses):
        raise DestinationRefused(
            f"{host}:{port} is not among the destinations this Admin Center may test "
            "(TEST_SERVER_ALLOWED_DESTINATIONS). Ask the Admin Center's operator."
        )
