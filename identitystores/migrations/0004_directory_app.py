"""The directory objects and their links moved to the directory app, tables and rows included:
state only. It runs after every app that pointed at them has been re-pointed."""

from django.db import migrations

MOVED = [
    "DirectoryContact",
    "DirectoryGroup",
    "DirectoryUser",
    "AdditionalManager",
    "AdditionalOwner",
    "GroupMembership",
    "DirectoryObject",
]


class Migration(migrations.Migration):
    dependencies = [
        ("identitystores", "0003_lean_directory_indexes"),
        ("directory", "0001_initial"),
        ("lifecycle", "0004_directory_app"),
        ("ldapsync", "0004_directory_app"),
        ("notifications", "0004_directoryevent_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
        ),
    ]
