"""Reading CSV import files into `Row`s for the Importer (LDIF: `import_ldif`).

A file that cannot be read as a whole (not UTF-8, not CSV or LDIF, a field past the CSV
reader's limit) raises RowError naming its line, and the command keeps nothing of it; a row
that is readable but wrong gets its `error` and is rejected alone by the Importer.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO

from .changes import EDITABLE
from .import_rows import Row, RowError, parse_value
from .models import DirectoryObject

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
