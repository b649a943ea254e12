"""Addresses this server never connects to on an admin's behalf, in every spelling.

Link-local, cloud metadata and reserved addresses are always refused, whatever the operator's
lists say. An IPv6 address can carry an IPv4 one (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4, Teredo), so an address is checked in each spelling
it may reach through a translator, not only as written.
"""

from __future__ import annotations

import ipaddress

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


def is_always_refused(address: IPAddress) -> bool:
    """Link-local, cloud metadata or reserved, in any spelling: never connected to."""
    return any(a in network for a in spellings(address) for network in ALWAYS_REFUSED)


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
