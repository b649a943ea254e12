"""Claiming outbox rows: only due rows, each by exactly one claimer, even under contention."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.delivery.claim import claim_due, claim_more
from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message

Status = OutgoingMessage.Status


def make_rows(store_settings, count):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"S{i}",
            body_text="b",
            to=["a@contoso.test"],
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def test_it_claims_queued_rows_once(contoso_mail):
    ids = make_rows(contoso_mail, 3)

    _, first = claim_due(ids)
    _, second = claim_due(ids)

    assert [row.pk for row in first] == ids
    assert second == []
    for row in OutgoingMessage.objects.filter(pk__in=ids):
        assert (row.status, row.attempts) == (Status.SENDING, 1)
        assert row.claimed_at is not None
        assert row.last_attempt_at == row.claimed_at


def test_it_claims_a_retrying_row_only_when_it_is_due(contoso_mail):
    due, later = make_rows(contoso_mail, 2)
    now = timezone.now()
    OutgoingMessage.objects.filter(pk=due).update(
        status=Status.RETRYING, next_attempt_at=now - timedelta(seconds=1)
    )
    OutgoingMessage.objects.filter(pk=later).update(
        status=Status.RETRYING, next_attempt_at=now + timedelta(minutes=5)
    )

    _, rows = claim_due([due, later])

    assert [row.pk for row in rows] == [due]


@pytest.mark.parametrize("status", [Status.SENT, Status.DEAD, Status.SENDING])
def test_it_never_claims_finished_or_busy_rows(contoso_mail, status):
    [pk] = make_rows(contoso_mail, 1)
    OutgoingMessage.objects.filter(pk=pk).update(status=status)

    assert claim_due([pk])[1] == []


def claim_together(claimers: int, rounds: int, claim) -> list[list[int]]:
    """Each claimer (a thread with its own connection) calls `claim(slot, round)` once a round,
    all of them together (a barrier per round), so none can finish before the others start,
    however the scheduler treats the threads. Returns the ids each claimer got."""
    start = threading.Barrier(claimers)
    results: list[list[int]] = [[] for _ in range(claimers)]
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        try:
            for turn in range(rounds):
                start.wait()
                results[slot] += [row.pk for row in claim(slot, turn)]
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)
            start.abort()  # the other claimers stop waiting for this one
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_it_gives_each_row_to_exactly_one_of_many_concurrent_claimers(contoso_mail):
    ids = make_rows(contoso_mail, 300)

    def claim(slot: int, turn: int) -> list:
        # Every claimer walks all rows in windows of 10, each from its own starting point, so
        # the windows overlap: rows are fought over, and every claimer wins some.
        mine = ids[slot * 50 :] + ids[: slot * 50]
        return claim_due(mine[turn * 10 : turn * 10 + 10])[1]

    results = claim_together(6, 30, claim)

    claimed = [pk for result in results for pk in result]
    assert len(claimed) == len(set(claimed)), "a row was claimed twice"
    assert sorted(claimed) == ids
    assert sum(1 for result in results if result) > 1, "the claimers did not overlap"
    assert set(OutgoingMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_claimers_taking_a_stores_other_due_rows_never_share_one(contoso_mail):
    ids = make_rows(contoso_mail, 240)

    def claim(slot: int, turn: int) -> list:  # every claimer picks the same oldest rows
        return claim_more([contoso_mail.store_id], 20, timezone.now())

    results = claim_together(4, 6, claim)

    claimed = [pk for result in results for pk in result]
    assert len(claimed) == len(set(claimed)), "a row was claimed twice"
    assert set(claimed) <= set(ids) and len(claimed) > 20
    attempts = OutgoingMessage.objects.filter(pk__in=claimed).values_list("attempts", flat=True)
    assert set(attempts) == {1}


def test_taking_more_leaves_other_stores_and_rows_not_due(contoso_mail, fabrikam):
    from notifications.models import NotificationSettings

    theirs = NotificationSettings.objects.create(
        store=fabrikam, smtp_host="127.0.0.1", from_email="directory@fabrikam.test"
    )
    ours = make_rows(contoso_mail, 3)
    other = make_rows(theirs, 2)
    OutgoingMessage.objects.filter(pk=ours[0]).update(
        status=Status.RETRYING, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    OutgoingMessage.objects.filter(pk=ours[1]).update(status=Status.HELD)

    taken = claim_more([contoso_mail.store_id], 10, timezone.now())

    assert [row.pk for row in taken] == [ours[2]]
    assert set(OutgoingMessage.objects.filter(pk__in=other).values_list("status", flat=True)) == {
        Status.QUEUED
    }
