"""Warnings shown next to stores on the Identity Stores list, supplied by higher layers.

The store list lives here, below the apps that know why a store needs attention (notifications
knows when its delivery is failing). Those apps register a provider from their AppConfig.ready();
the list asks every provider once for all the stores it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# A provider takes store ids and answers {store id: warning text} for the stores that need one.
Provider = Callable[[Iterable[int]], dict[int, str]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def flags_for(store_ids: list[int]) -> dict[int, list[str]]:
    """Every registered provider's warnings, per store id."""
    flags: dict[int, list[str]] = {}
    for provider in _providers:
        for store_id, text in provider(store_ids).items():
            flags.setdefault(store_id, []).append(text)
    return flags
