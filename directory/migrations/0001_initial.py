"""The directory's models move here from identitystores (objects and their links) and
notifications (events). Their tables keep their names (`db_table`), so this changes Django's
state only and runs no SQL; it also relabels their content types (and with them their
permissions) from the old apps to `directory`."""

import directory.models.objects
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = {
    "identitystores": (
        "directoryobject",
        "directoryuser",
        "directorycontact",
        "directorygroup",
        "groupmembership",
        "additionalowner",
        "additionalmanager",
    ),
    "notifications": ("directoryevent",),
}


def relabel(apps, schema_editor, old_to_new):
    """Give each moved model's content type its new app label. When the new label already has a
    row (post_migrate made it before this ran), the old row goes instead."""
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    for app, names in MOVED.items():
        old, new = old_to_new(app)
        for name in names:
            row = content_types.filter(app_label=old, model=name).first()
            if row is None:
                continue
            if content_types.filter(app_label=new, model=name).exists():
                row.delete()
            else:
                row.app_label = new
                row.save(update_fields=["app_label"])


def from_old_apps(apps, schema_editor):
    relabel(apps, schema_editor, lambda app: (app, "directory"))


def to_old_apps(apps, schema_editor):
    relabel(apps, schema_editor, lambda app: ("directory", app))


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("identitystores", "0003_lean_directory_indexes"),
        ("notifications", "0003_acting_destination"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="DirectoryObject",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("user", "User"),
                                    ("contact", "Contact"),
                                    ("group", "Group"),
                                ],
                                max_length=8,
                            ),
                        ),
                        ("name", models.CharField(max_length=256)),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        (
                            "mail_enabled",
                            models.BooleanField(default=True, verbose_name="Mail-enabled"),
                        ),
                        ("language", models.CharField(default="en", max_length=16)),
                        ("password_last_set", models.DateTimeField(blank=True, null=True)),
                        (
                            "password_expires",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="Password expiry date"
                            ),
                        ),
                        (
                            "security_type",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("private", "Private"),
                                    ("semi_private", "Semi-private"),
                                    ("public", "Public"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("source", models.CharField(default="local", max_length=32)),
                        ("external_id", models.CharField(blank=True, max_length=255, null=True)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("updated", models.DateTimeField(auto_now=True)),
                        (
                            "primary_manager",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="direct_reports",
                                to="directory.directoryobject",
                            ),
                        ),
                        (
                            "primary_owner",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="owned_groups",
                                to="directory.directoryobject",
                            ),
                        ),
                        (
                            "store",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="directory_objects",
                                to="identitystores.identitystore",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "identitystores_directoryobject",
                        "ordering": ["name", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="DirectoryEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("created", "Object created"),
                                    ("updated", "Attributes changed"),
                                    ("member_added", "Member added"),
                                    ("member_removed", "Member removed"),
                                    ("owner_set", "Primary owner changed"),
                                    ("owner_added", "Additional owner added"),
                                    ("owner_removed", "Additional owner removed"),
                                    ("manager_set", "Primary manager changed"),
                                    ("manager_added", "Additional manager added"),
                                    ("manager_removed", "Additional manager removed"),
                                ],
                                max_length=32,
                            ),
                        ),
                        (
                            "route",
                            models.CharField(
                                choices=[
                                    ("admin-center", "Admin Center"),
                                    ("portal", "Directory Manager portal"),
                                    ("management-shell", "Management Shell"),
                                    ("directory-sync", "Directory sync"),
                                    ("lifecycle", "Life-cycle schedule"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("actor_name", models.CharField(blank=True, max_length=150)),
                        ("object_name", models.CharField(max_length=256)),
                        ("changes", models.JSONField(blank=True, default=dict)),
                        ("member_name", models.CharField(blank=True, max_length=256)),
                        ("created", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "store",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="directory_events",
                                to="identitystores.identitystore",
                            ),
                        ),
                        (
                            "member",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="directory.directoryobject",
                            ),
                        ),
                        (
                            "object",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="events",
                                to="directory.directoryobject",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "notifications_directoryevent",
                        "ordering": ["-created", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="AdditionalOwner",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "dont_notify",
                            models.BooleanField(default=False, verbose_name="Don't notify"),
                        ),
                        (
                            "group",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="additional_owner_links",
                                to="directory.directoryobject",
                            ),
                        ),
                        (
                            "owner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="directory.directoryobject",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "identitystores_additionalowner",
                    },
                ),
                migrations.CreateModel(
                    name="AdditionalManager",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "manager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="directory.directoryobject",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="additional_manager_links",
                                to="directory.directoryobject",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "identitystores_additionalmanager",
                    },
                ),
                migrations.CreateModel(
                    name="DirectoryContact",
                    fields=[],
                    options={
                        "proxy": True,
                        "indexes": [],
                        "constraints": [],
                    },
                    bases=(directory.models.objects._OneKind, "directory.directoryobject"),
                ),
                migrations.CreateModel(
                    name="DirectoryGroup",
                    fields=[],
                    options={
                        "proxy": True,
                        "indexes": [],
                        "constraints": [],
                    },
                    bases=(directory.models.objects._OneKind, "directory.directoryobject"),
                ),
                migrations.CreateModel(
                    name="DirectoryUser",
                    fields=[],
                    options={
                        "proxy": True,
                        "indexes": [],
                        "constraints": [],
                    },
                    bases=(directory.models.objects._OneKind, "directory.directoryobject"),
                ),
                migrations.CreateModel(
                    name="GroupMembership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("member_is_group", models.BooleanField(default=False)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "group",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="member_links",
                                to="directory.directoryobject",
                            ),
                        ),
                        (
                            "member",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="directory.directoryobject",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "identitystores_groupmembership",
                    },
                ),
                migrations.AddIndex(
                    model_name="directoryobject",
                    index=models.Index(
                        fields=["store", "kind", "name"], name="identitysto_store_i_b45c79_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="directoryobject",
                    index=models.Index(
                        fields=["store", "email"], name="identitysto_store_i_dd9251_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="directoryobject",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("external_id__isnull", False)),
                        fields=("store", "external_id"),
                        name="directory_object_unique_external_id",
                    ),
                ),
                migrations.AddIndex(
                    model_name="directoryevent",
                    index=models.Index(
                        fields=["store", "created"], name="notificatio_store_i_f0e876_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="additionalowner",
                    constraint=models.UniqueConstraint(
                        fields=("group", "owner"), name="one_additional_owner_per_pair"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="additionalmanager",
                    constraint=models.UniqueConstraint(
                        fields=("user", "manager"), name="one_additional_manager_per_pair"
                    ),
                ),
                migrations.AddIndex(
                    model_name="groupmembership",
                    index=models.Index(
                        condition=models.Q(("member_is_group", True)),
                        fields=["group"],
                        name="nested_group_links",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="groupmembership",
                    constraint=models.UniqueConstraint(
                        fields=("group", "member"), name="one_membership_per_pair"
                    ),
                ),
            ],
        ),
        migrations.RunPython(from_old_apps, to_old_apps),
    ]
