"""Reading import files (CSV, LDIF) into `Row`s for the Importer.

A file that cannot be read as a whole (not UTF-8, not CSV or LDIF, a field past the CSV
reader's limit) raises RowError naming its line, and the command keeps nothing of it; a row
that is readable but wrong gets its `error` and is rejected alone by the Importer.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import ldif

from .changes import EDITABLE
from .directory import DirectoryObject
from .importing import Row, RowError, parse_value

Kind = DirectoryObject.Kind
CSV_COLUMNS = (
    "kind", "name", "email", "mail_enabled", "language", "security_type", "manager",
    "owner", "additional_owners", "members", "external_id", "password_last_set",
    "password_expires",
)  # fmt: skip


class CheckedLines:
    """A binary file's lines, each checked to be UTF-8 as it is read: a file saved in another
    encoding is refused with the number of its first bad line, not imported garbled."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.number = 0

    def readline(self) -> bytes:
        """The LDIF parser's interface."""
        line = self.stream.readline()
        if line:
            self.number += 1
            self._check(line)
        return line

    def __iter__(self) -> Iterator[str]:
        """csv's interface: decoded lines, without the byte-order mark of the first."""
        while line := self.readline():
            yield line.decode("utf-8-sig" if self.number == 1 else "utf-8")

    def _check(self, line: bytes) -> None:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RowError(
                f"Line {self.number} is not UTF-8 text (byte {exc.start + 1} of the line). Save "
                "the file as UTF-8 and import it again."
            ) from None


def read_csv(stream: BinaryIO) -> Iterator[Row]:
    lines = CheckedLines(stream)
    reader = csv.DictReader(lines)
    try:
        yield from _csv_rows(reader)
    except csv.Error as exc:
        raise RowError(_csv_problem(lines.number, exc)) from exc


def _csv_rows(reader: csv.DictReader) -> Iterator[Row]:
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown or "kind" not in (reader.fieldnames or ()):
        raise RowError(
            f"Unknown or missing columns ({', '.join(sorted(unknown)) or 'kind'}); "
            f"expected some of: {', '.join(CSV_COLUMNS)}."
        )
    for record in reader:
        data = {k: (v or "").strip() for k, v in record.items() if k}
        row = Row(reader.line_num, data.get("name") or data.get("email") or "(no name)")
        try:
            row.kind = _kind(data.get("kind", ""))
            row.values = _attributes(row.kind, data)
        except RowError as exc:
            row.error = str(exc)
        row.manager = data.get("manager", "")
        row.owner = data.get("owner", "")
        row.additional_owners = _split(data.get("additional_owners", ""))
        row.members = _split(data.get("members", ""))
        yield row


def _csv_problem(line: int, exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return (
            f"Line {line}: a field is longer than {csv.field_size_limit():,} characters. Split a "
            "long members list over several rows of the same group."
        )
    return f"Line {line} is not valid CSV: {exc}."


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


def _kind(value: str) -> str:
    if value.lower() not in Kind.values:
        raise RowError(f"kind must be one of {', '.join(Kind.values)}, not {value!r}.")
    return value.lower()


def _attributes(kind: str, data: dict) -> dict:
    values = {
        name: parse_value(name, data[name])
        for name in (*EDITABLE[kind], "external_id")
        if data.get(name, "") != ""
    }
    if not values.get("name"):
        raise RowError("name is required.")
    return values


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]
