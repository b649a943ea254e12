"""The operator's destination rules: the entries of ``DIRMGR_DESTINATIONS_ALLOWED``,
``DIRMGR_DESTINATIONS_DENIED`` and ``DIRMGR_ACTING_CREDENTIALS_HOSTS``.

An entry is a network or a host name (``*.example.com`` for a domain), optionally with a port.
A network rule matches an address in every spelling that embeds it (`reserved_addresses`), so an
operator's ``10.0.0.0/8`` also covers ``::ffff:10.1.2.3``. A malformed entry stops start-up
(ImproperlyConfigured) rather than silently allowing or refusing everything.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from .reserved_addresses import IPAddress, Network, spellings


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
def rules_of(entries: tuple[str, ...]) -> tuple[Rule, ...]:
    return tuple(parse_rule(entry) for entry in entries if entry.strip())
