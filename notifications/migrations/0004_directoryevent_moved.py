"""DirectoryEvent moved to the directory app, table and rows included: state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_acting_destination"),
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[], state_operations=[migrations.DeleteModel(name="DirectoryEvent")]
        ),
    ]
