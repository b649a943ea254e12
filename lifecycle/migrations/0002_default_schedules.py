"""Default life-cycle schedules for the stores that existed before this app (new stores get
theirs when they are created: lifecycle/signals.py)."""

import json

from django.db import migrations

DEFAULTS = {
    "membership": ("0", "1", "Membership Life Cycle"),
    "managedby": ("15", "1", "Managed By Life Cycle"),
    "password-expiry": ("0", "6", "Password expiry group"),
}


def create(apps, schema_editor):
    store_model = apps.get_model("identitystores", "IdentityStore")
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for store in store_model.objects.all():
        for job, (minute, hour, label) in DEFAULTS.items():
            if job == "password-expiry" and store.type == "entra":
                continue
            crontab, _ = crontab_model.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*",
                month_of_year="*", timezone=store.time_zone,
            )
            task_model.objects.get_or_create(
                name=f"lifecycle:{store.pk}:{job}",
                defaults={
                    "task": "lifecycle.run_scheduled_job",
                    "crontab": crontab,
                    "kwargs": json.dumps({"store_id": store.pk, "job": job}),
                    "description": f"{label} of {store.name}",
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
