"""Reading a search page by page and joining attributes the directory handed out in slices.

Kept apart from `connection` (which opens and binds) because a short read here is the dangerous
failure: a size or time limit, a lost connection, or a slice of `member` that cannot be read
must raise, never look like a complete answer, or sync would remove what it did not see.
"""

from __future__ import annotations

from collections.abc import Iterator

import ldap3

from .connection import DirectoryError, result_message
from .failures import REPLY_FAULTS, during_use

PAGED_RESULTS = "1.2.840.113556.1.4.319"
RANGE_OPTION = ";range="  # AD's slice of a large attribute: member;range=0-1499


def paged_search(
    connection: ldap3.Connection,
    base: str,
    search_filter: str,
    attributes: list[str],
    page_size: int,
    scope=ldap3.SUBTREE,
) -> Iterator[list[dict]]:
    """Yield each page's entries. Any result but success raises `DirectoryError` — a size or time
    limit ends a paged search with a result code, not an exception, and a short read must never
    look like a complete one."""
    cookie = None
    while True:
        try:
            connection.search(
                base,
                search_filter,
                search_scope=scope,
                attributes=attributes or [ldap3.NO_ATTRIBUTES],
                paged_size=page_size,
                paged_cookie=cookie,
            )
        except REPLY_FAULTS as exc:
            raise DirectoryError(
                f"The directory connection failed during a search: {during_use(exc)}"
            ) from None
        result = connection.result
        if result.get("result") != 0:
            raise DirectoryError(result_message(result), result=result.get("result"))
        entries = [e for e in connection.response if e.get("type") == "searchResEntry"]
        cookie = result.get("controls", {}).get(PAGED_RESULTS, {}).get("value", {}).get("cookie")
        for entry in entries:
            complete_ranges(connection, entry)
        yield entries
        if not cookie:
            return


def complete_ranges(connection: ldap3.Connection, entry: dict) -> None:
    """Join the slices of every attribute the directory handed out in ranges, in place.

    Active Directory returns at most MaxValRange values (1,500 by default) of an attribute per
    search, as `member;range=0-1499`; the next slice is asked for with a base search of
    `member;range=1500-*`, until a slice ends in `*`. The values end up under the plain name
    (`member`), in `attributes` and `raw_attributes`. Any slice that cannot be read raises
    `DirectoryError`: the values it would have held must never look removed.
    """
    raw = entry.get("raw_attributes")
    if not raw or not any(";" in name for name in raw):
        return
    for name in [n for n in raw if RANGE_OPTION in n.lower()]:
        attribute, _low, high = _range_of(name)
        _move_slice(entry, name, entry, attribute)
        while high != "*":
            low = int(high) + 1
            reply, name = _next_range(connection, entry["dn"], attribute, low)
            _, got_low, high = _range_of(name)
            if int(got_low) != low or (high != "*" and int(high) < low):
                raise DirectoryError(
                    f"{entry['dn']}: the directory answered the values of {attribute} from "
                    f"{low} on with the range {got_low}-{high}: sync stopped rather than guess"
                )
            _move_slice(reply, name, entry, attribute)


def _range_of(name: str) -> tuple[str, str, str]:
    """`member;range=1500-2999` -> ("member", "1500", "2999"); the last may be `*`."""
    at = name.lower().index(RANGE_OPTION)
    low, _, high = name[at + len(RANGE_OPTION) :].partition("-")
    return name[:at], low, high


def _move_slice(source: dict, name: str, target: dict, attribute: str) -> None:
    """Move the values of `source`'s slice `name` onto `target`'s plain `attribute`."""
    for key in ("raw_attributes", "attributes"):
        values = source.get(key, {}).pop(name, None) or []
        merged = target.setdefault(key, {}).get(attribute) or []
        merged.extend(values if isinstance(values, list) else [values])
        target[key][attribute] = merged


def _next_range(
    connection: ldap3.Connection, dn: str, attribute: str, low: int
) -> tuple[dict, str]:
    """The next slice of `attribute` of `dn`, from value number `low` on: the reply's entry and
    the slice's attribute name. A failed search, or a reply without that slice, raises."""
    wanted = f"{attribute};range={low}-*"
    try:
        connection.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[wanted])
    except REPLY_FAULTS as exc:
        raise DirectoryError(
            f"The directory connection failed while reading {attribute} of {dn}: {during_use(exc)}"
        ) from None
    result = connection.result
    code = result.get("result")
    if code != 0:
        raise DirectoryError(
            f"{dn}: reading the values of {attribute} from {low} on failed "
            f"({result.get('description', 'error')}, result {code}): sync stopped rather than "
            "treat the values not read as removed",
            result=code,
        )
    for found in connection.response or []:
        if found.get("type") != "searchResEntry":
            continue
        for name in found.get("raw_attributes") or {}:
            if RANGE_OPTION in name.lower() and _range_of(name)[0].lower() == attribute.lower():
                return found, name
    raise DirectoryError(
        f"{dn}: the directory returned no values of {attribute} from {low} on, though the "
        "previous range said more would follow: sync stopped rather than guess"
    )
