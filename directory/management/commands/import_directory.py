"""`manage.py import_directory`: bulk import of users, contacts, groups and relations.

    manage.py import_directory --store "Contoso AD" people.csv
    manage.py import_directory --store "Contoso AD" export.ldif --dry-run

CSV columns (a header row; only `kind` and `name` are required): kind (user, contact, group),
name, email, mail_enabled, language, security_type (private, semi_private, public), manager,
owner, additional_owners, members (references separated by ";": email, exact name, external id
or #id), external_id, password_last_set, password_expires. LDIF: a directory export (Active
Directory or inetOrgPerson/groupOfNames); references are DNs.

Rejected rows are listed with their reason; the others are imported. A file that cannot be read
as a whole (not UTF-8, not valid CSV or LDIF, a CSV field over 131,072 characters) is refused
with the line at fault and nothing of it is kept. With --dry-run nothing is kept. Notifications
are sent only with --notify.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from directory.changes import Actor
from directory.import_csv import read_csv
from directory.import_ldif import read_ldif
from directory.import_rows import Report, RowError
from directory.importing import Importer
from directory.models import Route

from ._directory_args import actor_named, store_named


class Command(BaseCommand):
    help = "Import users, contacts, groups and memberships from a CSV or LDIF file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--store", required=True, help="identity store name or id")
        parser.add_argument("--format", choices=["csv", "ldif"], help="default: from the suffix")
        parser.add_argument("--actor", help="Admin Center account the import is made as")
        parser.add_argument("--dry-run", action="store_true", help="check and report, keep nothing")
        parser.add_argument("--notify", action="store_true", help="send the changes' notifications")

    def handle(self, *args, **options) -> None:
        store = store_named(options["store"])
        user = actor_named(options["actor"]).user
        actor = Actor(user, Route.MANAGEMENT_SHELL, notify=options["notify"])
        path: Path = options["file"]
        kind = options["format"] or ("ldif" if path.suffix.lower() == ".ldif" else "csv")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        show = options["verbosity"] > 0

        def progress(rows, desc):
            return tqdm(rows, desc=desc, unit=" rows", disable=not show)

        importer = Importer(store, actor, progress)
        try:
            with transaction.atomic():
                report = importer.run(self._rows(path, kind))
                transaction.set_rollback(options["dry_run"])
        except RowError as exc:  # the file as a whole cannot be read: keep none of it
            raise CommandError(f"{exc} Nothing was imported.") from exc
        self._report(report, options["dry_run"])

    def _rows(self, path: Path, kind: str):
        with path.open("rb") as stream:
            yield from (read_ldif if kind == "ldif" else read_csv)(stream)

    def _report(self, report: Report, dry_run: bool) -> None:
        for row, reason in report.rejected:
            self.stdout.write(f"Rejected row {row.number} ({row.label}): {reason}")
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.relations} relations; "
            f"{len(report.rejected)} rejected." + (" Dry run: nothing was kept." if dry_run else "")
        )
