"""Many changes in one go (directory sync): `records_in_bulk` writes the events and history of a
batch together, `hooks.batch()` (notifications' `store_lookups_once`) reads the notification
settings once. What is recorded and
mailed must be the same as change by change."""

import pytest
from django.db import transaction

from directory import changes, hooks
from directory.changes import Actor, ChangeError
from directory.models import DirectoryEvent, Route
from identitystores.models import AuditEntry
from notifications.models import NotificationSettings, OutgoingMessage

SYNC = Actor(route=Route.DIRECTORY_SYNC)


@pytest.fixture
def objs(make_object, contoso_mail):
    contoso_mail.to_recipients = "audit@contoso.test"
    contoso_mail.save()

    class Objects:
        ann = make_object("user", "Ann", "ann@contoso.test")
        ben = make_object("user", "Ben", "ben@contoso.test")
        sales = make_object("group", "Sales", "", security_type="private")

    return Objects


def some_changes(o) -> None:
    """Four changes and one refusal in the middle, caught as sync catches it."""
    changes.update_attributes(o.ann, SYNC, email="ann.new@contoso.test")
    changes.add_member(o.sales, o.ann, SYNC)
    with pytest.raises(ChangeError):
        changes.add_member(o.sales, o.ann, SYNC)
    changes.set_primary_manager(o.ben, o.ann, SYNC)
    changes.remove_member(o.sales, o.ann, SYNC)


def recorded() -> tuple[list, list, list]:
    events = DirectoryEvent.objects.order_by("id").values_list(
        "kind", "route", "actor_name", "object_id", "object_name", "changes", "member_id"
    )
    history = AuditEntry.objects.order_by("id").values_list(
        "store_id", "actor_id", "actor_name", "action", "field", "old_value", "new_value"
    )
    mails = OutgoingMessage.objects.order_by("id").values_list("to", "cc", "bcc", "subject")
    return list(events), list(history), list(mails)


def clear() -> None:
    for model in (DirectoryEvent, AuditEntry, OutgoingMessage):
        model.objects.all().delete()


def test_it_records_and_mails_a_batch_as_it_does_change_by_change(objs):
    some_changes(objs)
    one_by_one = recorded()
    clear()
    objs.ben.primary_manager = None
    objs.ben.save()
    objs.ann.email = "ann@contoso.test"
    objs.ann.save()

    with hooks.batch(), transaction.atomic(), changes.records_in_bulk():
        some_changes(objs)
        assert not DirectoryEvent.objects.exists()  # written when the block ends

    assert len(one_by_one[0]) == 4 and len(one_by_one[2]) == 4
    assert recorded() == one_by_one


def test_it_writes_nothing_of_a_batch_that_fails(objs):
    with pytest.raises(RuntimeError), transaction.atomic(), changes.records_in_bulk():
        changes.update_attributes(objs.ann, SYNC, email="ann.new@contoso.test")
        raise RuntimeError("directory went away")
    assert recorded() == ([], [], [])


def test_it_reads_the_settings_once_per_block_and_per_event_outside(objs, contoso_mail):
    with hooks.batch():
        changes.update_attributes(objs.ann, SYNC, name="Ann 1")
        NotificationSettings.objects.filter(pk=contoso_mail.pk).update(to_recipients="")
        changes.update_attributes(objs.ann, SYNC, name="Ann 2")
    assert OutgoingMessage.objects.count() == 2  # the settings read at the block's start
    changes.update_attributes(objs.ann, SYNC, name="Ann 3")
    assert OutgoingMessage.objects.count() == 2  # outside: read again, no recipients now


def attribute_changes(o) -> list[tuple]:
    return [
        (o.ann, {"email": "ann.new@contoso.test", "name": "Ann B"}),
        (o.ben, {"name": "Ben"}),  # unchanged: no event, no mail
        (o.sales, {"name": "Sales EMEA"}),
    ]


def stored(*objs) -> list[tuple]:
    return [type(o).objects.values_list("name", "email", "updated").get(pk=o.pk) for o in objs]


def test_bulk_attribute_updates_record_and_mail_what_one_by_one_does(objs):
    for obj, values in attribute_changes(objs):
        changes.update_attributes(obj, SYNC, **values)
    one_by_one = recorded()
    clear()
    objs.ann.name, objs.ann.email, objs.sales.name = "Ann", "ann@contoso.test", "Sales"
    for o in (objs.ann, objs.sales):
        o.save()
    before = stored(objs.ann, objs.ben, objs.sales)

    result = changes.update_attributes_in_bulk(attribute_changes(objs), SYNC)

    assert result.updated == [objs.ann, objs.sales] and result.refused == []
    assert len(one_by_one[0]) == 2 and len(one_by_one[2]) == 2
    assert recorded() == one_by_one
    after = stored(objs.ann, objs.ben, objs.sales)
    assert [a[:2] for a in after] == [
        ("Ann B", "ann.new@contoso.test"),
        ("Ben", "ben@contoso.test"),
        ("Sales EMEA", ""),
    ]
    assert after[0][2] > before[0][2] and after[2][2] > before[2][2]  # `updated` moves
    assert after[1][2] == before[1][2]


def test_bulk_attribute_updates_refuse_one_object_and_apply_the_others(objs):
    too_long = "x" * 300
    result = changes.update_attributes_in_bulk(
        [(objs.ann, {"name": too_long}), (objs.ben, {"name": "Ben B"})], SYNC
    )

    assert [o for o, _exc in result.refused] == [objs.ann]
    assert "256" in result.refused[0][1].message
    assert objs.ann.name == "Ann"  # the refused values are put back in memory too
    assert stored(objs.ann)[0][0] == "Ann" and stored(objs.ben)[0][0] == "Ben B"
    events = list(DirectoryEvent.objects.values_list("object_id", flat=True))
    assert events == [objs.ben.pk]
