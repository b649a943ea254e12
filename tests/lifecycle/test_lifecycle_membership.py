"""The Membership Life Cycle job: temporary joins and leaves, attestation removals, notices per
option, exactly-once rules, kill and rerun, skipped windows, DST in the store's time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from directory.models import DirectoryEvent, EventKind, GroupMembership
from identitystores.models import AuditEntry
from lifecycle import membership_notices
from lifecycle.jobs import MEMBERSHIP, run_job
from lifecycle.models import AttestationRemoval, JobRun, State, TemporaryMembership
from notifications.models import OutgoingMessage
from tests.support.lifecycle_helpers import StopAfter, at, messages, recipients

JOIN, LEAVE = TemporaryMembership.Action.JOIN, TemporaryMembership.Action.LEAVE
DAY = timedelta(days=1)


@pytest.fixture
def berlin(contoso):
    contoso.time_zone = "Europe/Berlin"
    contoso.save()
    return contoso


@pytest.fixture
def mail(berlin, contoso_mail):
    contoso_mail.ml_on_join = contoso_mail.ml_on_leave = True
    contoso_mail.save()
    return contoso_mail


@pytest.fixture
def club(make_object):
    return make_object("group", "Club", "club@contoso.test", security_type="public")


@pytest.fixture
def ann(make_object):
    return make_object("user", "Ann", "ann@contoso.test")


def temporary(store, group, user, start, end, action=JOIN, **values):
    """Requested the day before it starts (the job's clock, not the machine's)."""
    values.setdefault("created", datetime.combine(start, datetime.min.time(), UTC) - DAY)
    return TemporaryMembership.objects.create(
        store=store,
        group=group,
        user=user,
        start_date=start,
        end_date=end,
        action=action,
        **values,
    )


def member(group, user) -> bool:
    return GroupMembership.objects.filter(group=group, member=user).exists()


def run(store, when):
    return run_job(store, MEMBERSHIP, now=when)


def test_it_adds_at_the_start_and_removes_at_the_end_with_both_notices(mail, club, ann):
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))

    run(mail.store, at(2026, 3, 1))
    assert not member(club, ann) and messages(mail.store) == []

    run(mail.store, at(2026, 3, 2))
    assert member(club, ann)
    assert recipients(mail.store) == [["ann@contoso.test"]]
    assert messages(mail.store)[0].subject == "[Contoso AD] Ann was added to Club"

    run(mail.store, at(2026, 3, 9))
    assert not member(club, ann)
    assert recipients(mail.store) == [["ann@contoso.test"], ["ann@contoso.test"]]
    assert messages(mail.store)[1].subject == "[Contoso AD] Ann was removed from Club"
    kinds = list(DirectoryEvent.objects.filter(route="lifecycle").values_list("kind", flat=True))
    assert sorted(kinds) == [EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED]


@pytest.mark.parametrize(("on_join", "on_leave"), [(True, False), (False, True), (False, False)])
def test_it_sends_only_the_notices_whose_option_is_on(mail, club, ann, on_join, on_leave):
    mail.ml_on_join, mail.ml_on_leave = on_join, on_leave
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))

    run(mail.store, at(2026, 3, 2))
    assert member(club, ann)
    assert len(messages(mail.store)) == int(on_join)
    run(mail.store, at(2026, 3, 9))
    assert not member(club, ann)
    assert len(messages(mail.store)) == int(on_join) + int(on_leave)


def test_it_removes_for_a_period_and_adds_back_at_the_end(mail, club, ann):
    GroupMembership.objects.create(group=club, member=ann)
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 5), action=LEAVE)

    run(mail.store, at(2026, 3, 3))
    assert not member(club, ann)
    run(mail.store, at(2026, 3, 5))
    assert member(club, ann)
    assert [m.subject for m in messages(mail.store)] == [
        "[Contoso AD] Ann was removed from Club",
        "[Contoso AD] Ann was added to Club",
    ]


def test_it_runs_twice_without_applying_or_sending_twice(mail, club, ann):
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))
    for _ in range(3):
        run(mail.store, at(2026, 3, 2))
    assert len(messages(mail.store)) == 1
    assert DirectoryEvent.objects.filter(kind=EventKind.MEMBER_ADDED).count() == 1
    assert JobRun.objects.filter(status=JobRun.Status.FINISHED).count() == 3


def test_it_leaves_an_existing_member_in_the_group_at_the_end(mail, club, ann):
    GroupMembership.objects.create(group=club, member=ann)
    item = temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    run(mail.store, at(2026, 3, 9))
    item.refresh_from_db()
    assert member(club, ann)
    assert messages(mail.store) == []
    assert item.note == "Already a member at the start: stays in the group at the end."


def test_it_notifies_the_user_not_the_peer_who_asked(mail, club, ann, make_object):
    peer = make_object("user", "Pia", "pia@contoso.test")
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9), requested_by=peer)
    run(mail.store, at(2026, 3, 2))
    assert recipients(mail.store) == [["ann@contoso.test"]]
    assert "Requested by: Pia" in messages(mail.store)[0].body_text


def test_it_copies_every_notice_to_the_store_to_and_cc(mail, club, ann):
    mail.to_recipients, mail.cc_recipients = "desk@contoso.test", "audit@contoso.test"
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    rows = messages(mail.store)
    assert [(m.to, m.cc, m.bcc) for m in rows] == [
        ("desk@contoso.test", "audit@contoso.test", ""),
        ("", "", "ann@contoso.test"),
    ]


def store_copies(store) -> list[tuple[str, str]]:
    """(kind, subject) of every message addressed to the store's To:/CC:."""
    rows = OutgoingMessage.objects.filter(store=store).exclude(to="", cc="").order_by("id")
    return [(m.kind, m.subject) for m in rows]


def test_to_and_cc_get_one_message_for_a_step_that_changes_the_directory(mail, club, ann):
    mail.to_recipients, mail.cc_recipients = "desk@contoso.test", "audit@contoso.test"
    mail.notify_added_member = mail.notify_removed_member = True
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    run(mail.store, at(2026, 3, 9))
    assert store_copies(mail.store) == [
        ("lifecycle", "[Contoso AD] Ann was added to Club"),
        ("lifecycle", "[Contoso AD] Ann was removed from Club"),
    ]
    # The member's change notifications (Also Notify boxes) are not affected.
    changes = OutgoingMessage.objects.filter(kind="change").order_by("id")
    assert [(m.to, m.bcc) for m in changes] == [("", "ann@contoso.test")] * 2


def test_to_and_cc_get_the_change_notification_when_no_notice_is_sent(mail, club, ann):
    mail.to_recipients = "desk@contoso.test"
    mail.ml_on_join = False
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 9))
    run(mail.store, at(2026, 3, 2))
    run(mail.store, at(2026, 3, 9))
    assert store_copies(mail.store) == [
        ("change", "[Contoso AD] Member added: Club"),
        ("lifecycle", "[Contoso AD] Ann was removed from Club"),
    ]


def test_it_reminds_x_days_before_leaving_exactly_once(mail, club, ann):
    mail.ml_on_join = mail.ml_on_leave = False
    mail.ml_days_before_enabled, mail.ml_days_before = True, 2
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 10))

    for day in (2, 7, 8, 8, 9, 10):
        run(mail.store, at(2026, 3, day))
    rows = messages(mail.store)
    assert [m.subject for m in rows] == ["[Contoso AD] Ann will leave Club on 2026-03-10"]
    assert "(in 2 days)" in rows[0].body_text
    assert not member(club, ann)


def test_it_sends_no_reminder_when_the_option_is_off(mail, club, ann):
    mail.ml_on_join = mail.ml_on_leave = False
    mail.ml_days_before_enabled, mail.ml_days_before = False, 2
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 10))
    for day in (2, 8, 9, 10):
        run(mail.store, at(2026, 3, day))
    assert messages(mail.store) == []


def test_it_reminds_before_a_leave_for_a_period(mail, club, ann):
    mail.ml_days_before_enabled, mail.ml_days_before = True, 3
    mail.ml_on_join = mail.ml_on_leave = False
    mail.save()
    GroupMembership.objects.create(group=club, member=ann)
    temporary(mail.store, club, ann, date(2026, 3, 10), date(2026, 3, 20), action=LEAVE)
    for day in (6, 7, 8, 10):
        run(mail.store, at(2026, 3, day))
    assert [m.subject for m in messages(mail.store)] == [
        "[Contoso AD] Ann will leave Club on 2026-03-10"
    ]


def test_it_refuses_private_groups_and_non_users(berlin, make_object, ann):
    private = make_object("group", "Board", security_type="private")
    club = make_object("group", "Club", security_type="public")
    item = TemporaryMembership(
        store=berlin,
        group=private,
        user=ann,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 1),
    )
    with pytest.raises(ValidationError) as info:
        item.full_clean()
    assert set(info.value.message_dict) == {"group", "end_date"}
    item = TemporaryMembership(
        store=berlin,
        group=club,
        user=club,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 9),
    )
    with pytest.raises(ValidationError) as info:
        item.full_clean()
    assert set(info.value.message_dict) == {"user"}


# --- Skipped windows and late runs ------------------------------------------------------------


def test_it_records_and_notifies_a_window_that_passed_between_two_runs(mail, club, ann):
    mail.to_recipients = "desk@contoso.test"
    mail.save()
    item = temporary(mail.store, club, ann, date(2026, 3, 4), date(2026, 3, 6))  # Wed → Fri

    run(mail.store, at(2026, 3, 2))  # weekly run, Monday
    record = run(mail.store, at(2026, 3, 9))  # next Monday

    item.refresh_from_db()
    assert item.state == State.SKIPPED
    assert not member(club, ann)
    assert DirectoryEvent.objects.count() == 0
    assert record.counts == {"skipped": 1, "messages": 2}
    assert record.skipped == [
        "Join for a period: Ann · Club from 2026-03-04 to 2026-03-06 was not applied: the "
        "schedule did not run in that period."
    ]
    assert AuditEntry.objects.filter(action="lifecycle.skipped").count() == 1
    assert recipients(mail.store) == [["desk@contoso.test"], ["ann@contoso.test"]]
    assert messages(mail.store)[0].subject == "[Contoso AD] Temporary membership not applied: Club"


def test_it_tells_only_the_admins_of_a_skipped_window_when_the_options_are_off(mail, club, ann):
    mail.ml_on_join = mail.ml_on_leave = False
    mail.to_recipients = "desk@contoso.test"
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 4), date(2026, 3, 6))
    run(mail.store, at(2026, 3, 9))
    assert recipients(mail.store) == [["desk@contoso.test"]]


def test_it_applies_a_late_start_while_the_window_is_still_open(mail, club, ann):
    temporary(mail.store, club, ann, date(2026, 3, 4), date(2026, 3, 20))
    run(mail.store, at(2026, 3, 9))
    assert member(club, ann)
    assert "Applied on: 2026-03-09" in messages(mail.store)[0].body_text


def test_it_records_a_reminder_that_no_run_could_send(mail, club, ann):
    mail.ml_days_before_enabled, mail.ml_days_before = True, 2
    mail.save()
    temporary(mail.store, club, ann, date(2026, 3, 2), date(2026, 3, 10))
    run(mail.store, at(2026, 3, 2))
    record = run(mail.store, at(2026, 3, 11))  # nothing ran on the 8th or 9th
    assert not member(club, ann)
    assert record.counts["skipped"] == 1
    assert "was not sent" in record.skipped[0]
    assert [m.subject for m in messages(mail.store)] == [
        "[Contoso AD] Ann was added to Club",
        "[Contoso AD] Ann was removed from Club",
    ]


# --- Crashes ----------------------------------------------------------------------------------


def test_it_finishes_a_run_killed_between_chunks_without_repeating_anything(
    mail, club, make_object, settings
):
    settings.LIFECYCLE_CHUNK = 2  # the kill comes after the first chunk's commit
    users = [make_object("user", f"U{i}", f"u{i}@contoso.test") for i in range(5)]
    for user in users:
        temporary(mail.store, club, user, date(2026, 3, 2), date(2026, 3, 9))

    with pytest.raises(KeyboardInterrupt):
        run_job(mail.store, MEMBERSHIP, now=at(2026, 3, 2), progress=StopAfter(2))
    assert JobRun.objects.get().status == JobRun.Status.FAILED
    assert sum(member(club, u) for u in users) == 2

    run(mail.store, at(2026, 3, 2, 3))
    assert all(member(club, u) for u in users)
    assert sorted(r[0] for r in recipients(mail.store)) == [f"u{i}@contoso.test" for i in range(5)]
    assert DirectoryEvent.objects.filter(kind=EventKind.MEMBER_ADDED).count() == 5


def test_it_rolls_back_an_item_that_fails_half_way_and_applies_it_on_the_rerun(
    mail, club, make_object, monkeypatch
):
    users = [make_object("user", f"U{i}", f"u{i}@contoso.test") for i in range(4)]
    for user in users:
        temporary(mail.store, club, user, date(2026, 3, 2), date(2026, 3, 9))
    real = membership_notices.send_notice
    calls = []

    def failing_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(membership_notices, "send_notice", failing_third)
    with pytest.raises(RuntimeError):
        run(mail.store, at(2026, 3, 2))
    # The third user's change happened before the failure, in the same transaction: undone.
    assert [member(club, u) for u in users] == [True, True, False, False]
    assert TemporaryMembership.objects.filter(state=State.ACTIVE).count() == 2
    assert JobRun.objects.get().error == "RuntimeError: worker killed"

    monkeypatch.setattr(membership_notices, "send_notice", real)
    run(mail.store, at(2026, 3, 2))
    assert all(member(club, u) for u in users)
    assert OutgoingMessage.objects.filter(kind="lifecycle").count() == 4
    assert DirectoryEvent.objects.filter(kind=EventKind.MEMBER_ADDED).count() == 4


# --- Time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "added"),
    [
        (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), False),  # 23:59 CET on the 28th
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), True),  # 00:00 CET on the 29th
    ],
)
def test_it_starts_on_the_stores_day_when_summer_time_begins(mail, club, ann, moment, added):
    temporary(mail.store, club, ann, date(2026, 3, 29), date(2026, 3, 30))
    run(mail.store, moment)
    assert member(club, ann) is added


@pytest.mark.parametrize(
    ("moment", "still_member"),
    [
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), True),  # 23:59 CEST on the 29th (23 h day)
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), False),  # 00:00 CEST on the 30th
    ],
)
def test_it_ends_on_the_stores_day_after_the_23_hour_day(mail, club, ann, moment, still_member):
    temporary(mail.store, club, ann, date(2026, 3, 29), date(2026, 3, 30))
    run(mail.store, datetime(2026, 3, 29, 8, 0, tzinfo=UTC))
    run(mail.store, moment)
    assert member(club, ann) is still_member


@pytest.mark.parametrize(
    ("moment", "today"),
    [
        (datetime(2026, 10, 24, 21, 59, tzinfo=UTC), date(2026, 10, 24)),  # 23:59 CEST
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), date(2026, 10, 25)),  # 00:00 CEST
        (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), date(2026, 10, 25)),  # 23:59 CET (25 h day)
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 26)),  # 00:00 CET
    ],
)
def test_it_uses_the_stores_today_when_summer_time_ends(mail, club, ann, moment, today):
    temporary(mail.store, club, ann, date(2026, 10, 20), date(2026, 10, 25))
    run(mail.store, datetime(2026, 10, 20, 8, 0, tzinfo=UTC))
    record = run(mail.store, moment)
    assert record.today == today
    assert member(club, ann) is (today < date(2026, 10, 25))  # removed when the 25th begins


# --- Attestation ------------------------------------------------------------------------------


def test_it_reminds_and_removes_a_member_marked_by_attestation(mail, club, ann):
    mail.ml_days_before_enabled, mail.ml_days_before = True, 2
    mail.save()
    GroupMembership.objects.create(group=club, member=ann)
    AttestationRemoval.objects.create(
        store=mail.store,
        group=club,
        member=ann,
        remove_on=date(2026, 3, 12),
        created=at(2026, 3, 1),
    )
    for day in (9, 10, 10, 11, 12, 12):
        run(mail.store, at(2026, 3, day))
    assert not member(club, ann)
    assert [m.subject for m in messages(mail.store)] == [
        "[Contoso AD] Ann will leave Club on 2026-03-12",
        "[Contoso AD] Ann was removed from Club",
    ]
    assert recipients(mail.store) == [["ann@contoso.test"], ["ann@contoso.test"]]


def test_it_removes_an_attestation_mark_silently_when_the_options_are_off(mail, club, ann):
    mail.ml_on_leave = False
    mail.save()
    GroupMembership.objects.create(group=club, member=ann)
    AttestationRemoval.objects.create(
        store=mail.store, group=club, member=ann, remove_on=date(2026, 3, 12)
    )
    run(mail.store, at(2026, 3, 12))
    assert not member(club, ann)
    assert messages(mail.store) == []


# --- Cost -------------------------------------------------------------------------------------


def test_a_chunk_costs_three_statements_per_item_plus_a_fixed_few(mail, club, make_object):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    users = [make_object("user", f"U{i}", f"u{i}@contoso.test") for i in range(30)]
    for user in users:
        temporary(mail.store, club, user, date(2026, 3, 2), date(2026, 3, 9))
    with CaptureQueriesContext(connection) as captured:
        record = run(mail.store, at(2026, 3, 2))
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # Claim, membership check, membership insert per item; the chunk's reads and bulk writes.
    assert record.counts["applied"] == 30
    assert len(statements) <= 3 * 30 + 25, "\n".join(statements)
    assert len(messages(mail.store)) == 30
