"""The directory objects these rows point at are now the directory app's (same table): the
foreign keys change in Django's state only, so no constraint is dropped or table rebuilt."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        ("lifecycle", "0003_store_index_in_due_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="attestationremoval",
                    name="group",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="attestationremoval",
                    name="member",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="passwordexpirygroup",
                    name="group",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="passwordexpirymember",
                    name="user",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="temporarymanagedby",
                    name="holder",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="temporarymanagedby",
                    name="target",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="temporarymembership",
                    name="group",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="temporarymembership",
                    name="requested_by",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
                migrations.AlterField(
                    model_name="temporarymembership",
                    name="user",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="directory.directoryobject",
                    ),
                ),
            ],
        ),
    ]
