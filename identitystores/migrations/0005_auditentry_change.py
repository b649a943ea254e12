"""History entries get a change key: the rows of one change share it. Rows written before it
are grouped by store, who, what and the second they were written."""

import uuid

from django.db import migrations, models


def group_old_entries(apps, schema_editor):
    AuditEntry = apps.get_model("identitystores", "AuditEntry")
    keys: dict[tuple, uuid.UUID] = {}
    rows = AuditEntry.objects.order_by("id").only("store_id", "actor_name", "action", "created")
    for row in rows.iterator(chunk_size=2000):
        group = (row.store_id, row.actor_name, row.action, row.created.replace(microsecond=0))
        row.change = keys.setdefault(group, uuid.uuid4())
        AuditEntry.objects.filter(pk=row.pk).update(change=row.change)


class Migration(migrations.Migration):
    dependencies = [("identitystores", "0004_directory_app")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="change",
            field=models.UUIDField(null=True),
        ),
        migrations.RunPython(group_old_entries, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="change",
            field=models.UUIDField(default=uuid.uuid4),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["store", "change", "created"], name="audit_store_change"),
        ),
    ]
