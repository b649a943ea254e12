"""Reading the directory: every entry of each kind (full), the entries changed since a watermark
(incremental), or only the identifiers (reconciliation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import ldap3

from .connection import DirectoryError
from .mapping import Record, attributes_for, to_record
from .models import DirectoryConnection
from .paging import paged_search

KINDS = ("user", "contact", "group")
Progress = Callable[[int], None]


def kind_filter(conn: DirectoryConnection, kind: str) -> str:
    return {"user": conn.user_filter, "contact": conn.contact_filter, "group": conn.group_filter}[
        kind
    ]


@dataclass
class Listing:
    """Identifiers and DNs of everything the directory holds now (for reconciliation)."""

    dns: dict[str, str] = field(default_factory=dict)  # external_id -> DN
    kinds: dict[str, str] = field(default_factory=dict)  # external_id -> kind


def read_records(
    connection: ldap3.Connection,
    conn: DirectoryConnection,
    extra_filter: str = "",
    progress: Progress | None = None,
) -> list[Record]:
    """Users and contacts first, then groups, so references resolve in one pass."""
    records: list[Record] = []
    for page in record_pages(connection, conn, extra_filter):
        records += page
        if progress:
            progress(len(page))
    return records


def record_pages(
    connection: ldap3.Connection, conn: DirectoryConnection, extra_filter: str = ""
) -> Iterator[list[Record]]:
    """One list of Records per search page, every kind in `KINDS` order."""
    seen: set[str] = set()
    for kind in KINDS:
        base_filter = kind_filter(conn, kind)
        if not base_filter:
            continue
        search = f"(&{base_filter}{extra_filter})" if extra_filter else base_filter
        attributes = attributes_for(conn, kind)
        for page in paged_search(connection, conn.base_dn, search, attributes, conn.page_size):
            records = []
            for entry in page:
                record = to_record(conn, kind, entry)
                # An entry matching two kinds' filters counts once, as the first kind.
                if record is not None and record.external_id not in seen:
                    seen.add(record.external_id)
                    records.append(record)
            yield records


def read_listing(
    connection: ldap3.Connection, conn: DirectoryConnection, progress: Progress | None = None
) -> Listing:
    listing = Listing()
    for kind in KINDS:
        base_filter = kind_filter(conn, kind)
        if not base_filter:
            continue
        pages = paged_search(
            connection, conn.base_dn, base_filter, [conn.id_attribute], conn.page_size
        )
        for page in pages:
            for entry in page:
                record = to_record(conn, kind, entry)
                if record is not None and record.external_id not in listing.kinds:
                    listing.dns[record.external_id] = record.dn
                    listing.kinds[record.external_id] = kind
            if progress:
                progress(len(page))
    return listing


def check_base(connection: ldap3.Connection, conn: DirectoryConnection) -> None:
    """The base DN must exist: a typo would otherwise read as "the directory is empty"."""
    pages = paged_search(connection, conn.base_dn, "(objectClass=*)", [], 1, scope=ldap3.BASE)
    if not any(pages):
        raise DirectoryError("The base DN does not exist (result 32, noSuchObject).", result=32)


@dataclass(frozen=True)
class DomainController:
    """The Active Directory DC a pass reads from: its identity (rootDSE `dsServiceName`) and
    its `highestCommittedUSN` when the pass started. Empty values elsewhere."""

    name: str = ""
    usn: str = ""


def domain_controller(connection: ldap3.Connection) -> DomainController:
    """Read from AD's rootDSE. A rootDSE that cannot be read gives empty values (the pass then
    falls back to the highest uSNChanged it sees)."""
    names = ["dsServiceName", "highestCommittedUSN"]
    try:
        pages = list(paged_search(connection, "", "(objectClass=*)", names, 1, ldap3.BASE))
    except DirectoryError:
        return DomainController()
    attributes = next((e.get("attributes") or {} for page in pages for e in page), {})
    return DomainController(
        name=_single(attributes, "dsServiceName"), usn=_single(attributes, "highestCommittedUSN")
    )


def _single(attributes: dict, name: str) -> str:
    values = attributes.get(name) or []
    value = values[0] if isinstance(values, list) and values else values
    return str(value) if value else ""


def next_watermark(seen: str, started_usn: str, started_at: dt.datetime, margin: float) -> str:
    """Where the next incremental pass starts (it asks for change values >= this).

    USNs: one past the highestCommittedUSN read before this pass, so changes made during the
    pass are read next time. Timestamps (modifyTimestamp, entryCSN): one second past the highest
    value seen, but never later than this pass's start minus `margin` (the clock skew allowed
    between us and the directory): an entry changed after we read it carries a later value
    than the start of the pass, so it is read again; re-reading is harmless.
    """
    if started_usn:
        return str(int(started_usn) + 1)
    if not seen or seen.isdigit():
        return seen
    try:
        stamp = dt.datetime.strptime(seen[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return seen
    limit = started_at.astimezone(dt.UTC) - dt.timedelta(seconds=margin)
    stamp = min(stamp + dt.timedelta(seconds=1), limit)
    text = stamp.strftime("%Y%m%d%H%M%S")
    return f"{text}.000000Z#000000#000#000000" if "#" in seen else f"{text}Z"


def highest(values: list[str]) -> str:
    """The greatest change value: numeric for USNs, text order for timestamps and CSNs."""
    values = [v for v in values if v]
    if not values:
        return ""
    if all(v.isdigit() for v in values):
        return str(max(int(v) for v in values))
    return max(values)
