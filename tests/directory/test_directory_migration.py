"""A database made before the directory app existed keeps every row when it is migrated.

The directory's models moved from identitystores and notifications to `directory` with their
tables (state-only migrations), the foreign keys of lifecycle and ldapsync were re-pointed in
state only, and the content types (with the permissions hanging off them) were relabelled. This
migrates a database back to the last migrations before the move, writes a row into every moved
table (and the rows of other apps pointing at them) through the historical models, migrates
forward and reads everything back through today's models; then it goes back and forth again.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    DirectoryUser,
    GroupMembership,
)
from ldapsync.models import EntryLink
from lifecycle.models import (
    AttestationRemoval,
    PasswordExpiryGroup,
    PasswordExpiryMember,
    TemporaryManagedBy,
    TemporaryMembership,
)

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("identitystores", "0003_lean_directory_indexes"),
    ("notifications", "0003_acting_destination"),
    ("lifecycle", "0003_store_index_in_due_indexes"),
    ("ldapsync", "0003_syncstatus_watermark_server"),
    ("dirmgr", "0001_familiar_address"),
    ("catcher", "0003_caught_message_store"),
]
MOVED = {
    "identitystores": ["directoryobject", "directoryuser", "groupmembership", "additionalowner"],
    "notifications": ["directoryevent"],
}


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return MigrationExecutor(connection)


def to_before():
    """The apps as main left them before the move; the `directory` app (and `entrasync`, which
    came after it and builds on it) not applied at all."""
    executor = migrate([("entrasync", None), ("directory", None), *BEFORE])
    ours = {app for app, _ in BEFORE} | {"directory", "entrasync"}
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in ours]
    return executor.loader.project_state([*BEFORE, *others]).apps


def to_after() -> None:
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def write_old_rows(apps) -> dict:
    """One row in every moved table, and the rows of other apps that point at them."""
    store = apps.get_model("identitystores", "IdentityStore").objects.create(name="Contoso")
    objects = apps.get_model("identitystores", "DirectoryObject").objects
    boss = objects.create(store=store, kind="user", name="Boss", email="boss@contoso.test")
    ann = objects.create(
        store=store, kind="user", name="Ann", email="ann@contoso.test", primary_manager=boss
    )
    group = objects.create(
        store=store, kind="group", name="Staff", security_type="private", primary_owner=boss
    )
    contact = objects.create(store=store, kind="contact", name="Vendor", external_id="v-1")
    apps.get_model("identitystores", "GroupMembership").objects.create(
        group=group, member=ann, member_is_group=False
    )
    apps.get_model("identitystores", "AdditionalOwner").objects.create(
        group=group, owner=ann, dont_notify=True
    )
    apps.get_model("identitystores", "AdditionalManager").objects.create(user=ann, manager=boss)
    apps.get_model("notifications", "DirectoryEvent").objects.create(
        store=store,
        kind="member_added",
        route="admin-center",
        actor_name="alice",
        object=group,
        object_name="Staff",
        member=ann,
        member_name="Ann",
        changes={"name": ["Old", "Staff"]},
    )
    write_lifecycle_rows(apps, store, group, ann, boss)
    apps.get_model("ldapsync", "EntryLink").objects.create(
        object=contact, store=store, dn="CN=Vendor,DC=contoso", dn_key="cn=vendor,dc=contoso"
    )
    return {
        "store": store.pk,
        "boss": boss.pk,
        "ann": ann.pk,
        "group": group.pk,
        "contact": contact.pk,
    }


def write_lifecycle_rows(apps, store, group, ann, boss) -> None:
    today = date(2026, 1, 1)
    window = {"store": store, "start_date": today, "end_date": today + timedelta(days=30)}
    lifecycle = apps.get_app_config("lifecycle")
    lifecycle.get_model("TemporaryMembership").objects.create(
        group=group, user=ann, requested_by=boss, **window
    )
    lifecycle.get_model("TemporaryManagedBy").objects.create(
        role="owner", target=group, holder=ann, **window
    )
    lifecycle.get_model("AttestationRemoval").objects.create(
        store=store, group=group, member=ann, remove_on=today
    )
    config = lifecycle.get_model("PasswordExpiryGroup").objects.create(store=store, group=group)
    lifecycle.get_model("PasswordExpiryMember").objects.create(config=config, user=ann)


def old_content_types(apps) -> dict[tuple[str, str], int]:
    """Content types (and a permission each) as a database made before the move has them."""
    content_types = apps.get_model("contenttypes", "ContentType").objects
    permissions = apps.get_model("auth", "Permission").objects
    content_types.filter(app_label="directory").delete()
    ids = {}
    for app, names in MOVED.items():
        for name in names:
            ct, _ = content_types.get_or_create(app_label=app, model=name)
            permissions.get_or_create(
                content_type=ct, codename=f"view_{name}", defaults={"name": f"Can view {name}"}
            )
            ids[(app, name)] = ct.pk
    return ids


def assert_rows_read_back(ids: dict) -> None:
    group = DirectoryObject.objects.get(pk=ids["group"])
    ann = DirectoryUser.objects.get(pk=ids["ann"])
    assert ann.primary_manager_id == ids["boss"]
    assert group.primary_owner.name == "Boss" and group.security_type == "private"
    assert DirectoryObject.objects.get(pk=ids["contact"]).external_id == "v-1"
    assert GroupMembership.objects.get(group=group).member == ann
    assert AdditionalOwner.objects.get(group=group).dont_notify is True
    assert AdditionalManager.objects.get(user=ann).manager_id == ids["boss"]
    event = DirectoryEvent.objects.get(store_id=ids["store"])
    assert (event.object, event.member, event.changes) == (group, ann, {"name": ["Old", "Staff"]})
    assert list(group.events.all()) == [event]
    assert TemporaryMembership.objects.get(group=group).requested_by_id == ids["boss"]
    assert TemporaryManagedBy.objects.get(target=group).holder == ann
    assert AttestationRemoval.objects.get(group=group).member == ann
    assert PasswordExpiryMember.objects.get(user=ann).config.group == group
    assert PasswordExpiryGroup.objects.get(store_id=ids["store"]).group == group
    assert EntryLink.objects.get(object_id=ids["contact"]).object.name == "Vendor"


def assert_content_types_relabelled(old_ids: dict) -> None:
    ContentType.objects.clear_cache()
    for (app, name), pk in old_ids.items():
        ct = ContentType.objects.get(pk=pk)
        assert (ct.app_label, ct.model) == ("directory", name)
        assert Permission.objects.filter(content_type=ct, codename=f"view_{name}").exists()
        assert not ContentType.objects.filter(app_label=app, model=name).exists()


def test_a_database_from_before_the_move_keeps_every_row():
    apps = to_before()
    content_types = old_content_types(apps)
    ids = write_old_rows(apps)

    to_after()
    assert_rows_read_back(ids)
    assert_content_types_relabelled(content_types)

    apps = to_before()
    ct = apps.get_model("contenttypes", "ContentType").objects.get(
        pk=content_types[("notifications", "directoryevent")]
    )
    assert ct.app_label == "notifications"
    assert apps.get_model("identitystores", "DirectoryObject").objects.count() == 4

    to_after()
    assert_rows_read_back(ids)
    assert_content_types_relabelled(content_types)
