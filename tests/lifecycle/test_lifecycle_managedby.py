"""The Managed By Life Cycle job: temporary additional owners and managers, who is told, the
"Same as membership life cycle" switch, group-as-owner expansion, exactly-once rules."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    EventKind,
    GroupMembership,
)
from lifecycle.jobs import MANAGED_BY, run_job
from lifecycle.models import State, TemporaryManagedBy
from tests.support.lifecycle_helpers import StopAfter, at, messages, recipients

OWNER, MANAGER = TemporaryManagedBy.Role.OWNER, TemporaryManagedBy.Role.MANAGER


@pytest.fixture
def mail(contoso, contoso_mail):
    contoso.time_zone = "Europe/Berlin"
    contoso.save()
    contoso_mail.mb_on_added = contoso_mail.mb_on_removed = True
    contoso_mail.save()
    return contoso_mail


@pytest.fixture
def d(make_object):
    class D:
        pat = make_object("user", "Pat", "pat@contoso.test")  # primary owner / manager
        tom = make_object("user", "Tom", "tom@contoso.test")  # temporary
        ann = make_object("user", "Ann", "ann@contoso.test", primary_manager=pat)
        sales = make_object("group", "Sales", security_type="private", primary_owner=pat)
        leads = make_object("group", "Leads", "leads@contoso.test", security_type="private")
        emea = make_object("group", "EMEA", security_type="private")
        lia = make_object("user", "Lia", "lia@contoso.test")
        lee = make_object("user", "Lee", "lee@contoso.test")
        cal = make_object("user", "Cal")  # no address

    for group, members in [(D.leads, [D.lia, D.emea]), (D.emea, [D.lee, D.cal])]:
        for m in members:
            GroupMembership.objects.create(group=group, member=m, member_is_group=m.is_group)
    return D


def temporary(store, role, target, holder, start, end):
    return TemporaryManagedBy.objects.create(
        store=store,
        role=role,
        target=target,
        holder=holder,
        start_date=start,
        end_date=end,
        created=datetime(2026, 3, 1, tzinfo=UTC),
    )


def run(store, when, **kwargs):
    return run_job(store, MANAGED_BY, now=when, **kwargs)


def test_it_adds_and_removes_a_temporary_owner_and_tells_the_primary_owner(mail, d):
    temporary(mail.store, OWNER, d.sales, d.tom, date(2026, 3, 2), date(2026, 3, 9))

    run(mail.store, at(2026, 3, 2))
    assert AdditionalOwner.objects.filter(group=d.sales, owner=d.tom).exists()
    assert recipients(mail.store) == [["pat@contoso.test", "tom@contoso.test"]]
    assert messages(mail.store)[0].subject == (
        "[Contoso AD] Tom is now temporary additional owner of Sales"
    )

    run(mail.store, at(2026, 3, 9))
    assert not AdditionalOwner.objects.filter(group=d.sales, owner=d.tom).exists()
    assert len(messages(mail.store)) == 2
    assert recipients(mail.store)[1] == ["pat@contoso.test", "tom@contoso.test"]
    kinds = sorted(DirectoryEvent.objects.filter(route="lifecycle").values_list("kind", flat=True))
    assert kinds == [EventKind.OWNER_ADDED, EventKind.OWNER_REMOVED]


def test_it_adds_and_removes_a_temporary_manager_and_tells_the_primary_manager(mail, d):
    temporary(mail.store, MANAGER, d.ann, d.tom, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    assert AdditionalManager.objects.filter(user=d.ann, manager=d.tom).exists()
    run(mail.store, at(2026, 3, 9))
    assert not AdditionalManager.objects.filter(user=d.ann, manager=d.tom).exists()
    assert recipients(mail.store) == [["pat@contoso.test", "tom@contoso.test"]] * 2


def test_it_tells_every_member_of_a_group_set_as_temporary_owner(mail, d):
    temporary(mail.store, OWNER, d.sales, d.leads, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    run(mail.store, at(2026, 3, 9))
    # Leads' members, nested EMEA's members too (Cal has no address), and the primary owner.
    expected = ["lee@contoso.test", "lia@contoso.test", "pat@contoso.test"]
    assert recipients(mail.store) == [expected, expected]


@pytest.mark.parametrize(("added", "removed"), [(True, False), (False, True), (False, False)])
def test_it_sends_only_the_notices_whose_option_is_on(mail, d, added, removed):
    mail.mb_on_added, mail.mb_on_removed = added, removed
    mail.save()
    temporary(mail.store, OWNER, d.sales, d.tom, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    assert len(messages(mail.store)) == int(added)
    run(mail.store, at(2026, 3, 9))
    assert len(messages(mail.store)) == int(added) + int(removed)
    assert not AdditionalOwner.objects.filter(group=d.sales, owner=d.tom).exists()


def test_it_follows_the_membership_options_when_same_as_membership_is_ticked(mail, d):
    mail.mb_same_as_membership = True
    mail.ml_on_join, mail.ml_on_leave = False, True
    mail.ml_days_before_enabled, mail.ml_days_before = True, 1
    mail.save()  # Managed By boxes still ticked: ignored
    temporary(mail.store, OWNER, d.sales, d.tom, date(2026, 3, 2), date(2026, 3, 9))
    for day in (2, 8, 9):
        run(mail.store, at(2026, 3, day))
    assert [m.subject for m in messages(mail.store)] == [
        "[Contoso AD] Tom will stop being temporary additional owner of Sales on 2026-03-09",
        "[Contoso AD] Tom is no longer temporary additional owner of Sales",
    ]


def test_it_reminds_only_the_temporary_owner_once_before_removal(mail, d):
    mail.mb_on_added = mail.mb_on_removed = False
    mail.mb_days_before_enabled, mail.mb_days_before = True, 3
    mail.save()
    temporary(mail.store, OWNER, d.sales, d.leads, date(2026, 3, 2), date(2026, 3, 9))
    for day in (2, 5, 6, 6, 7, 8, 9):
        run(mail.store, at(2026, 3, day))
    assert recipients(mail.store) == [["lee@contoso.test", "lia@contoso.test"]]
    assert "(in 3 days)" in messages(mail.store)[0].body_text


def test_it_leaves_an_existing_owner_in_place_at_the_end(mail, d):
    AdditionalOwner.objects.create(group=d.sales, owner=d.tom)
    item = temporary(mail.store, OWNER, d.sales, d.tom, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    run(mail.store, at(2026, 3, 9))
    item.refresh_from_db()
    assert AdditionalOwner.objects.filter(group=d.sales, owner=d.tom).exists()
    assert messages(mail.store) == []
    assert item.note == "Already temporary additional owner at the start: stays at the end."


def test_it_records_and_notifies_a_window_that_passed_between_two_runs(mail, d):
    item = temporary(mail.store, MANAGER, d.ann, d.tom, date(2026, 3, 4), date(2026, 3, 6))
    record = run(mail.store, at(2026, 3, 9))
    item.refresh_from_db()
    assert item.state == State.SKIPPED
    assert not AdditionalManager.objects.exists()
    assert len(record.skipped) == 1
    assert recipients(mail.store) == [["pat@contoso.test", "tom@contoso.test"]]


def test_it_finishes_a_killed_run_without_repeating_anything(mail, d, make_object, settings):
    settings.LIFECYCLE_CHUNK = 1  # the kill comes after the first item's commit
    holders = [make_object("user", f"H{i}", f"h{i}@contoso.test") for i in range(4)]
    for holder in holders:
        temporary(mail.store, OWNER, d.sales, holder, date(2026, 3, 2), date(2026, 3, 9))
    with pytest.raises(KeyboardInterrupt):
        run(mail.store, at(2026, 3, 2), progress=StopAfter(1))
    assert AdditionalOwner.objects.count() == 1
    run(mail.store, at(2026, 3, 2))
    run(mail.store, at(2026, 3, 2))
    assert AdditionalOwner.objects.count() == 4
    assert len(messages(mail.store)) == 4
    assert DirectoryEvent.objects.filter(kind=EventKind.OWNER_ADDED).count() == 4


def test_it_refuses_a_manager_that_is_not_a_user(contoso, d):
    item = TemporaryManagedBy(
        store=contoso,
        role=MANAGER,
        target=d.ann,
        holder=d.leads,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 9),
    )
    with pytest.raises(ValidationError) as info:
        item.full_clean()
    assert info.value.message_dict == {"holder": ["A manager must be a user."]}


def test_it_sends_no_reminder_when_the_option_is_off(mail, d):
    mail.mb_on_added = mail.mb_on_removed = False
    mail.mb_days_before_enabled, mail.mb_days_before = False, 3
    mail.save()
    temporary(mail.store, MANAGER, d.ann, d.tom, date(2026, 3, 2), date(2026, 3, 9))
    for day in (2, 6, 7, 8, 9):
        run(mail.store, at(2026, 3, day))
    assert messages(mail.store) == []
    assert not AdditionalManager.objects.exists()
