"""`manage.py sync_directory --store ID [--full]`: sync one LDAP / AD store now, with a
progress bar of entries read."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from identitystores.models import IdentityStore
from ldapsync.connection import DirectoryError
from ldapsync.models import DirectoryConnection
from ldapsync.sync import sync_store


class Command(BaseCommand):
    help = "Sync an LDAP or Active Directory identity store from its directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--store", type=int, required=True, help="identity store id")
        parser.add_argument("--full", action="store_true", help="read every entry")
        parser.add_argument(
            "--reconcile", action="store_true", help="also look for deleted and moved entries"
        )
        parser.add_argument(
            "--allow-mass-delete",
            action="store_true",
            help="delete even when most of the store's objects are gone from the directory",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        try:
            store = IdentityStore.objects.get(pk=options["store"])
        except IdentityStore.DoesNotExist as exc:
            raise CommandError(f"No identity store with id {options['store']}.") from exc
        if not DirectoryConnection.objects.filter(store=store).exists():
            raise CommandError(f"{store.name} has no directory connection.")
        bar = tqdm(unit=" entries", desc=f"Reading {store.name}", disable=options["no_progress"])
        try:
            result = sync_store(
                store,
                full=options["full"],
                reconcile_now=True if options["reconcile"] else None,
                allow_mass_delete=options["allow_mass_delete"],
                progress=bar.update,
            )
        except DirectoryError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
        self.stdout.write(
            f"{result.kind} sync of {store.name} in {result.duration:.1f} s: {counts}"
        )
