"""Reading LDIF import files (an Active Directory or OpenLDAP export) into `Row`s for the Importer.

The file is read through `CheckedLines`, so a file that is not UTF-8 is refused as a whole, like
a CSV file; an entry that is readable but wrong gets its `error` and is rejected alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import ldif

from .import_csv import CheckedLines
from .import_rows import Row, RowError
from .models import DirectoryObject

Kind = DirectoryObject.Kind


def read_ldif(stream: BinaryIO) -> Iterator[Row]:
    parser = ldif.LDIFParser(CheckedLines(stream), strict=False)
    for number, (dn, entry) in enumerate(_ldif_records(parser), start=1):
        row = Row(number, dn, dn=dn)
        try:
            _fill_ldif_row(row, {k.lower(): v for k, v in entry.items()})
        except RowError as exc:
            row.error = str(exc)
        yield row


def _ldif_records(parser: ldif.LDIFParser) -> Iterator[tuple[str, dict]]:
    try:
        for dn, entry in parser.parse():
            if dn:  # "version: 1" has no DN
                yield dn, entry
    except ValueError as exc:  # bad base64, a line without "attribute:", a non-ASCII attribute
        raise RowError(
            f"The entry ending at line {parser.line_counter} is not valid LDIF ({exc})."
        ) from exc


def _fill_ldif_row(row: Row, attrs: dict) -> None:
    row.kind = _ldif_kind(attrs)
    row.values = _ldif_values(row.kind, attrs, row.dn)
    row.manager = _first(attrs, "manager")
    owners = _texts(attrs, "managedby", "owner")
    row.owner = owners[0] if owners else ""
    row.additional_owners = owners[1:] + _texts(attrs, "msexchcomanagedbylink")
    row.members = _texts(attrs, "member", "uniquemember")


def _ldif_kind(attrs: dict) -> str:
    classes = {c.lower() for c in attrs.get("objectclass", [])}
    if classes & {"group", "groupofnames", "groupofuniquenames"}:
        return Kind.GROUP
    if "contact" in classes:
        return Kind.CONTACT
    if classes & {"user", "person", "inetorgperson", "organizationalperson"}:
        return Kind.USER
    raise RowError(f"Unsupported objectClass {', '.join(sorted(classes)) or '(none)'}.")


def _ldif_values(kind: str, attrs: dict, dn: str) -> dict:
    guid = _hex(attrs, "objectguid") or _first(attrs, "entryuuid")
    values = {
        "name": _first(attrs, "displayname") or _first(attrs, "cn") or dn.split(",")[0],
        "email": _first(attrs, "mail"),
        # The entry's stable id when exported; otherwise its DN keeps re-imports idempotent.
        "external_id": guid or dn.lower(),
    }
    if kind == Kind.USER:
        values["language"] = (_first(attrs, "preferredlanguage") or "en").lower()
        values["mail_enabled"] = bool(values["email"])
        if _first(attrs, "pwdlastset"):
            values["password_last_set"] = _filetime(_first(attrs, "pwdlastset"))
    return values


def _first(attrs: dict, name: str) -> str:
    return _text((attrs.get(name) or [""])[0], name).strip()


def _texts(attrs: dict, *names: str) -> list[str]:
    return [_text(value, name) for name in names for value in attrs.get(name, [])]


def _text(value: str | bytes, name: str) -> str:
    """A text value; the parser leaves a value as bytes when it is not UTF-8 (base64 of
    another encoding), and such a row is refused rather than imported with garbled text."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RowError(f"{name} is not UTF-8 text.") from exc


def _hex(attrs: dict, name: str) -> str:
    """A binary attribute (objectGUID) as hex; the parser hands it over as text when the bytes
    happen to be valid UTF-8, as bytes otherwise."""
    value = (attrs.get(name) or [""])[0]
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return raw.hex()


def _filetime(value: str) -> datetime | None:
    """Active Directory's pwdLastSet: 100-ns intervals since 1601-01-01 UTC; 0 means never."""
    try:
        ticks = int(value)
    except ValueError as exc:
        raise RowError(f"pwdLastSet is not a number: {value!r}.") from exc
    if ticks <= 0:
        return None
    return datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=ticks // 10)
