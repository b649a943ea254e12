"""Bulk import of users, contacts, groups and their relations from CSV or LDIF.

Rows are read into one shape (`import_rows.Row`) by `import_csv` or `import_ldif`, then applied
in two passes so rows may refer to objects defined further down: first every object (created, or
updated when it already exists), then the relations (manager, owners, members). Each row is
applied in its own savepoint: a bad row is rejected with a reason and never stops or partly
applies another. A row whose relations cannot all be resolved gets none of them applied (its
object stays, the report says why).

Changes go through the change services (route "Management Shell"), so they are recorded as
events and in the store history; notifications are sent only when asked for (`notify=True`): a
bulk load mailing every To:/CC: recipient once per row is rarely what an admin wants.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from identitystores.models import IdentityStore

from . import changes
from .changes import Actor, ChangeError
from .import_rows import Report, Row, RowError
from .lookup import AmbiguousReference, find_object
from .models import DirectoryObject, GroupMembership


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
