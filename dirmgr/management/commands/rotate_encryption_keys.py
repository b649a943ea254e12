"""Re-encrypt every stored secret with the first key of DIRMGR_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old ones after it), run this, then remove the old keys.
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core import crypto
from core.encrypted_fields import encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt all stored secrets with the newest encryption key."

    def handle(self, *args, **options) -> None:
        total = 0
        with transaction.atomic():
            for model, names in encrypted_fields():
                total += self._rotate_model(model, names)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} secret(s)."))

    @staticmethod
    def _rotate_model(model, names: list[str]) -> int:
        """Work on the raw column values: no plaintext is ever held for longer than a call."""
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        count = 0
        for name in names:
            column = connection.ops.quote_name(model._meta.get_field(name).column)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                rows = cursor.fetchall()
                for row_id, token in rows:
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [crypto.rotate(token), row_id],
                    )
                    count += 1
        return count
