"""The destination policy at Save and Test: a refused server is a field error in the admin's
words, before anything connects there.

Each form names its own destinations as (field, host, port); this module only judges them, so it
knows no app. A name that does not resolve here is not an error by itself (the workers may use
another DNS); the policy is applied again, to the address actually used, whenever a connection is
made.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import destinations


def errors_for(found: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """{field: why} for each (field, host, port) in `found` that the policy refuses."""
    errors: dict[str, str] = {}
    for field, host, port in found:
        try:
            destinations.check(host, port)
        except destinations.DestinationRefused as exc:
            errors[field] = str(exc)
    return errors
