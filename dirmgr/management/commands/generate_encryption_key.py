"""Print a new Fernet key for DIRMGR_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand

from core import crypto


class Command(BaseCommand):
    help = "Print a new encryption key (put it first in DIRMGR_ENCRYPTION_KEYS)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(crypto.generate_key())
