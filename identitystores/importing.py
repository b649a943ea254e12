"""Bulk import of users, contacts, groups and their relations from CSV or LDIF.

Rows are read into one shape (`Row`), then applied in two passes so rows may refer to objects
defined further down: first every object (created, or updated when it already exists), then the
relations (manager, owners, members). Each row is applied in its own savepoint: a bad row is
rejected with a reason and never stops or partly applies another. A row whose relations cannot
all be resolved gets none of them applied (its object stays, the report says why).

Changes go through the change services (route "Management Shell"), so they are recorded as
events and in the store history; notifications are sent only when asked for (`notify=True`): a
bulk load mailing every To:/CC: recipient once per row is rarely what an admin wants.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import ldif
from django.core.exceptions import ValidationError
from django.db import models, transaction

from . import changes
from .changes import EDITABLE, Actor, ChangeError
from .directory import AmbiguousReference, DirectoryObject, GroupMembership, find_object
from .models import IdentityStore

Kind = DirectoryObject.Kind
CSV_COLUMNS = (
    "kind", "name", "email", "mail_enabled", "language", "security_type", "manager",
    "owner", "additional_owners", "members", "external_id", "password_last_set",
    "password_expires",
)  # fmt: skip
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


# --- Reading ----------------------------------------------------------------------------------


def read_csv(stream: io.TextIOBase) -> Iterator[Row]:
    reader = csv.DictReader(stream)
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown or "kind" not in (reader.fieldnames or ()):
        raise RowError(
            f"Unknown or missing columns ({', '.join(sorted(unknown)) or 'kind'}); "
            f"expected some of: {', '.join(CSV_COLUMNS)}."
        )
    for number, record in enumerate(reader, start=2):
        data = {k: (v or "").strip() for k, v in record.items() if k}
        row = Row(number, data.get("name") or data.get("email") or "(no name)")
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


def read_ldif(stream: io.BufferedIOBase) -> Iterator[Row]:
    parser = ldif.LDIFParser(stream, strict=False)
    entries = ((dn, entry) for dn, entry in parser.parse() if dn)  # "version: 1" has no DN
    for number, (dn, entry) in enumerate(entries, start=1):
        attrs = {k.lower(): v for k, v in entry.items()}
        row = Row(number, dn, dn=dn)
        try:
            row.kind = _ldif_kind(attrs)
            row.values = _ldif_values(row.kind, attrs, dn)
        except RowError as exc:
            row.error = str(exc)
        row.manager = _first(attrs, "manager")
        owners = attrs.get("managedby", []) + attrs.get("owner", [])
        row.owner = owners[0] if owners else ""
        row.additional_owners = owners[1:] + attrs.get("msexchcomanagedbylink", [])
        row.members = attrs.get("member", []) + attrs.get("uniquemember", [])
        yield row


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
    value = (attrs.get(name) or [""])[0]
    return value.decode("utf-8", "replace").strip() if isinstance(value, bytes) else value.strip()


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


# --- Applying ---------------------------------------------------------------------------------


class Importer:
    def __init__(self, store: IdentityStore, actor: Actor, progress=None) -> None:
        self.store = store
        self.actor = actor
        self.progress = progress or (lambda rows, desc: rows)
        self.report = Report()
        self.by_dn: dict[str, int] = {}

    def run(self, rows: Iterable[Row]) -> Report:
        applied = []
        for row in self.progress(rows, "objects"):
            if self._apply_object(row):
                applied.append(row)
        for row in self.progress(applied, "relations"):
            self._apply_relations(row)
        return self.report

    def _apply_object(self, row: Row) -> bool:
        if row.error:
            self.report.reject(row, row.error)
            return False
        try:
            with transaction.atomic():
                obj = self._existing(row)
                if obj is None:
                    obj = changes.create_object(self.store, self.actor, row.kind, **row.values)
                    self.report.created += 1
                elif changes.update_attributes(obj, self.actor, **row.values):
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
        except ChangeError as exc:
            self.report.reject(row, f"{exc.field}: {exc.message}" if exc.field else exc.message)
            return False
        row.pk = obj.pk
        if row.dn:
            self.by_dn[row.dn.lower()] = obj.pk
        return True

    def _existing(self, row: Row) -> DirectoryObject | None:
        """The object a row describes: same external id, else same address, else same name."""
        objects = DirectoryObject.objects.filter(store=self.store, kind=row.kind)
        if row.values.get("external_id"):
            return objects.filter(external_id=row.values["external_id"]).first()
        for lookup, key in (("email__iexact", "email"), ("name", "name")):
            if row.values.get(key):
                found = list(objects.filter(**{lookup: row.values[key]})[:2])
                if len(found) > 1:
                    raise ChangeError(f"Several {row.kind}s have the {key} {row.values[key]}.")
                return found[0] if found else None
        return None

    def _apply_relations(self, row: Row) -> None:
        obj = DirectoryObject.objects.get(pk=row.pk)
        try:
            plan = self._plan(obj, row)
        except RowError as exc:
            self.report.reject(row, f"{exc} None of the row's relations were applied.")
            return
        try:
            with transaction.atomic():
                for service, *args in plan:
                    service(obj, *args, self.actor)
                    self.report.relations += 1
        except ChangeError as exc:
            self.report.reject(row, f"{exc.message} None of the row's relations were applied.")

    def _plan(self, obj: DirectoryObject, row: Row) -> list[tuple]:
        """The relation changes the row asks for, every reference resolved first."""
        plan: list[tuple] = []
        if row.manager and obj.is_user:
            manager = self._resolve(row.manager, "manager")
            if manager.pk != obj.primary_manager_id:
                plan.append((changes.set_primary_manager, manager))
        if obj.is_group:
            if row.owner:
                owner = self._resolve(row.owner, "owner")
                if owner.pk != obj.primary_owner_id:
                    plan.append((changes.set_primary_owner, owner))
            owners = set(obj.additional_owner_links.values_list("owner_id", flat=True))
            for ref in row.additional_owners:
                other = self._resolve(ref, "additional owner")
                if other.pk not in owners:
                    plan.append((changes.add_additional_owner, other))
            members = set(
                GroupMembership.objects.filter(group=obj).values_list("member_id", flat=True)
            )
            for ref in row.members:
                member = self._resolve(ref, "member")
                if member.pk not in members:
                    members.add(member.pk)
                    plan.append((changes.add_member, member))
        elif row.owner or row.additional_owners or row.members:
            raise RowError(f"Only groups have owners and members; {obj.name} is a {obj.kind}.")
        return plan

    def _resolve(self, reference: str, role: str) -> DirectoryObject:
        pk = self.by_dn.get(reference.lower())
        try:
            if pk is not None:
                return DirectoryObject.objects.get(pk=pk)
            return find_object(self.store.pk, reference)
        except AmbiguousReference as exc:
            raise RowError(f"{role.capitalize()} {reference!r}: {exc}") from exc
        except DirectoryObject.DoesNotExist as exc:
            raise RowError(f"{role.capitalize()} {reference!r} was not found.") from exc
