"""Change services: every change records one event (who, route, object, old → new, member) and
its outbox rows in the same transaction as the change."""

import pytest
from django.db import transaction

from directory import changes
from directory.changes import Actor, ChangeError
from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    GroupMembership,
    Route,
)
from identitystores.models import AuditEntry
from notifications.models import OutgoingMessage


@pytest.fixture
def objs(make_object, contoso_mail):
    contoso_mail.to_recipients = "audit@contoso.test"
    contoso_mail.save()

    class Objects:
        ann = make_object("user", "Ann", "ann@contoso.test")
        ben = make_object("user", "Ben", "ben@contoso.test")
        sales = make_object("group", "Sales", "", security_type="private")

    return Objects


def only_event():
    event = DirectoryEvent.objects.get()
    return event, (event.kind, event.route, event.actor_name, event.object_name, event.changes,
                   event.member_name)  # fmt: skip


def test_it_records_an_attribute_change_with_old_and_new_values(objs, alice):
    changes.update_attributes(objs.ann, Actor(alice), name="Ann Smith", mail_enabled=False)
    event, fields = only_event()
    assert fields == (
        "updated",
        "admin-center",
        "alice",
        "Ann Smith",
        {"name": ["Ann", "Ann Smith"], "mail_enabled": [True, False]},
        "",
    )
    assert event.actor == alice and event.object == objs.ann
    assert OutgoingMessage.objects.get().to == "audit@contoso.test"
    assert set(AuditEntry.objects.values_list("action", "field", "old_value", "new_value")) == {
        ("directory.updated", "Ann Smith · name", "Ann", "Ann Smith"),
        ("directory.updated", "Ann Smith · mail_enabled", "True", "False"),
    }


@pytest.mark.parametrize(
    ("apply", "expected"),
    [
        (lambda o, a: changes.add_member(o.sales, o.ann, a), ("member_added", "Sales", {}, "Ann")),
        (
            lambda o, a: changes.set_primary_owner(o.sales, o.ben, a),
            ("owner_set", "Sales", {"primary owner": [None, "Ben"]}, ""),
        ),
        (
            lambda o, a: changes.add_additional_owner(o.sales, o.ben, a),
            ("owner_added", "Sales", {"additional owners": [None, "Ben"]}, "Ben"),
        ),
        (
            lambda o, a: changes.set_primary_manager(o.ann, o.ben, a),
            ("manager_set", "Ann", {"primary manager": [None, "Ben"]}, ""),
        ),
        (
            lambda o, a: changes.add_additional_manager(o.ann, o.ben, a),
            ("manager_added", "Ann", {"additional managers": [None, "Ben"]}, "Ben"),
        ),
        (
            lambda o, a: changes.create_object(
                o.sales.store, a, "contact", name="Cy", email="c@x.test"
            ),
            ("created", "Cy", {"name": [None, "Cy"], "email": [None, "c@x.test"]}, ""),
        ),
    ],
)
def test_it_records_each_kind_of_change(objs, alice, apply, expected):
    apply(objs, Actor(alice, Route.PORTAL))
    _, (kind, route, actor, name, changed, member) = only_event()
    assert (kind, name, changed, member) == expected
    assert (route, actor) == ("portal", "alice")
    assert OutgoingMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("setup", "apply", "expected"),
    [
        (
            lambda o: GroupMembership.objects.create(group=o.sales, member=o.ann),
            lambda o, a: changes.remove_member(o.sales, o.ann, a),
            ("member_removed", {}, "Ann"),
        ),
        (
            lambda o: AdditionalOwner.objects.create(group=o.sales, owner=o.ben),
            lambda o, a: changes.remove_additional_owner(o.sales, o.ben, a),
            ("owner_removed", {"additional owners": ["Ben", None]}, "Ben"),
        ),
        (
            lambda o: AdditionalManager.objects.create(user=o.ann, manager=o.ben),
            lambda o, a: changes.remove_additional_manager(o.ann, o.ben, a),
            ("manager_removed", {"additional managers": ["Ben", None]}, "Ben"),
        ),
    ],
)
def test_it_records_each_kind_of_removal(objs, setup, apply, expected):
    setup(objs)
    apply(objs, Actor(route=Route.LIFECYCLE))
    _, (kind, route, actor, _, changed, member) = only_event()
    assert (kind, changed, member) == expected
    assert (route, actor) == ("lifecycle", "Life-cycle schedule")


def test_it_records_a_replaced_primary_owner_old_and_new(objs, alice):
    changes.set_primary_owner(objs.sales, objs.ann, Actor(alice))
    changes.set_primary_owner(objs.sales, objs.ben, Actor(alice))
    changes.set_primary_owner(objs.sales, objs.ben, Actor(alice))  # no change, no event
    assert [e.changes for e in DirectoryEvent.objects.order_by("id")] == [
        {"primary owner": [None, "Ann"]},
        {"primary owner": ["Ann", "Ben"]},
    ]


def test_it_leaves_no_event_and_no_mail_when_the_change_rolls_back(objs, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        changes.add_member(objs.sales, objs.ann, Actor(alice))
        assert OutgoingMessage.objects.count() == 1  # written inside the change's transaction
        raise RuntimeError("the caller fails after the change")
    assert not GroupMembership.objects.exists()
    assert not DirectoryEvent.objects.exists()
    assert not OutgoingMessage.objects.exists()


def test_it_hands_rows_to_the_workers_only_after_commit(
    objs, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        changes.add_member(objs.sales, objs.ann, Actor(alice))
    assert len(callbacks) == 1


def test_it_records_events_without_mail_when_told_not_to_notify(objs, alice):
    changes.add_member(objs.sales, objs.ann, Actor(alice, notify=False))
    assert DirectoryEvent.objects.count() == 1
    assert not OutgoingMessage.objects.exists()


@pytest.mark.parametrize(
    ("apply", "message"),
    [
        (lambda o, a: changes.add_member(o.ann, o.ben, a), "Ann is not a group."),
        (
            lambda o, a: changes.add_member(o.sales, o.sales, a),
            "A group cannot be a member of itself.",
        ),
        (lambda o, a: changes.remove_member(o.sales, o.ann, a), "Ann is not a member of Sales."),
        (lambda o, a: changes.set_primary_manager(o.ann, o.sales, a), "A manager must be a user."),
        (
            lambda o, a: changes.add_additional_owner(o.sales, o.sales, a),
            "A group cannot own itself.",
        ),
        (
            lambda o, a: changes.update_attributes(o.ann, a, email="nope"),
            "Enter a valid email address.",
        ),
        (
            lambda o, a: changes.update_attributes(o.ann, a, security_type="public"),
            "has no attribute",
        ),
    ],
)
def test_it_refuses_impossible_changes_without_a_trace(objs, alice, apply, message):
    with pytest.raises(ChangeError, match=message):
        apply(objs, Actor(alice))
    assert not DirectoryEvent.objects.exists()
    assert not OutgoingMessage.objects.exists()


def test_it_refuses_objects_of_another_store(objs, alice, fabrikam, make_object):
    stranger = make_object("user", "Stranger", "s@fabrikam.test", store=fabrikam)
    with pytest.raises(ChangeError, match="Stranger belongs to another identity store."):
        changes.add_member(objs.sales, stranger, Actor(alice))
