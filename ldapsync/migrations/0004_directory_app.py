"""The directory object an entry link points at is now the directory app's (same table): the
foreign key changes in Django's state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        ("ldapsync", "0003_syncstatus_watermark_server"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="entrylink",
                    name="object",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="ldap_entry",
                        serialize=False,
                        to="directory.directoryobject",
                    ),
                ),
            ],
        ),
    ]
