"""The one shape every import format is read into, the report of what an import did, and how a
text value becomes an attribute value.

CSV and LDIF are read into `Row`s (`import_csv`, `import_ldif`) and applied by `importing`, so
both formats check values and reject bad rows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models

from .models import DirectoryObject

TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"0", "false", "no", "n", "off"}


class RowError(Exception):
    """A row that cannot be imported; the message says why, in the admin's words."""


@dataclass
class Row:
    number: int
    label: str
    kind: str = ""
    values: dict = field(default_factory=dict)
    dn: str = ""
    manager: str = ""
    owner: str = ""
    additional_owners: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    error: str = ""
    pk: int | None = None


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relations: int = 0
    rejected: list[tuple[Row, str]] = field(default_factory=list)

    def reject(self, row: Row, reason: str) -> None:
        self.rejected.append((row, reason))


def parse_value(name: str, raw: str):
    """A text value for attribute `name` as the model stores it ("" clears a nullable one)."""
    field = DirectoryObject._meta.get_field(name)
    if raw == "" and field.null:
        return None
    if isinstance(field, models.BooleanField):
        if raw.lower() not in TRUE | FALSE:
            raise RowError(f"{name} must be true or false, not {raw!r}.")
        return raw.lower() in TRUE
    try:
        return field.to_python(raw)
    except ValidationError as exc:
        raise RowError(f"{name}: {' '.join(exc.messages)}") from exc
