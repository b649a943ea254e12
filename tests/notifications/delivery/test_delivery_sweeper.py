"""The sweeper re-enqueues rows whose task was lost; dispatch enqueues ids after commit."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from identitystores.models import AuditEntry
from notifications import tasks
from notifications.delivery import sweep
from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message

Status = OutgoingMessage.Status


def make_rows(store_settings, count=1):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"S{i}",
            body_text="b",
            to=["a@contoso.test"],
            acting_credentials='{"username": "alice"}',
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def age(pk, **fields):
    OutgoingMessage.objects.filter(pk=pk).update(**fields)


def ago(seconds):
    return timezone.now() - timedelta(seconds=seconds)


def test_it_re_enqueues_queued_rows_nobody_claimed_for_a_minute(contoso_mail):
    lost, fresh = make_rows(contoso_mail, 2)
    age(lost, created=ago(61))

    assert sweep() == [lost]
    assert sweep() == []  # the due time moved: not swept again right away


def test_it_re_enqueues_retrying_rows_long_past_their_retry_time(contoso_mail):
    overdue, due_soon, waiting = make_rows(contoso_mail, 3)
    age(overdue, status=Status.RETRYING, next_attempt_at=ago(90))
    age(due_soon, status=Status.RETRYING, next_attempt_at=ago(5))  # its own task is on its way
    age(waiting, status=Status.RETRYING, next_attempt_at=ago(-300))

    assert sweep() == [overdue]


def test_it_takes_back_rows_a_dead_worker_was_sending(contoso_mail, settings):
    settings.MAIL_SENDING_STALE_SECONDS = 600
    stale, busy = make_rows(contoso_mail, 2)
    age(stale, status=Status.SENDING, claimed_at=ago(601), attempts=1)
    age(busy, status=Status.SENDING, claimed_at=ago(30), attempts=1)

    assert sweep() == [stale]

    row = OutgoingMessage.objects.get(pk=stale)
    assert row.status == Status.RETRYING
    assert row.last_error == "Delivery was interrupted (the worker stopped while sending)."
    assert OutgoingMessage.objects.get(pk=busy).status == Status.SENDING


def test_it_fails_a_stale_row_that_has_no_attempt_left(contoso_mail, settings):
    settings.MAIL_MAX_ATTEMPTS = 3
    [pk] = make_rows(contoso_mail)
    age(pk, status=Status.SENDING, claimed_at=ago(3600), attempts=3)

    assert sweep() == []

    row = OutgoingMessage.objects.get(pk=pk)
    assert row.status == Status.DEAD
    assert row.acting_credentials == ""
    assert "No attempts left" in row.last_error
    entry = AuditEntry.objects.get(store=contoso_mail.store)
    assert entry.action == "notification not delivered"


def test_it_leaves_sent_and_dead_rows_alone(contoso_mail):
    sent, dead = make_rows(contoso_mail, 2)
    age(sent, status=Status.SENT, created=ago(3600))
    age(dead, status=Status.DEAD, created=ago(3600))

    assert sweep() == []


def test_the_beat_task_puts_swept_ids_on_the_mail_queue(contoso_mail, memory_broker, settings):
    settings.MAIL_TASK_BATCH_SIZE = 2
    ids = make_rows(contoso_mail, 3)
    OutgoingMessage.objects.filter(pk__in=ids).update(created=ago(120))

    assert tasks.sweep_outbox() == 3

    published = memory_broker()
    assert [p.task for p in published] == ["notifications.deliver"] * 2
    assert [p.ids for p in published] == [ids[:2], ids[2:]]


def test_the_sweeper_is_scheduled_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]
    assert entry == {"task": "notifications.sweep_outbox", "schedule": 60.0}
    assert settings.CELERY_TASK_ROUTES["notifications.sweep_outbox"] == {"queue": "mail"}


@pytest.mark.django_db(transaction=True)
def test_it_enqueues_only_ids_and_only_after_commit(contoso_mail, memory_broker):
    with transaction.atomic():
        ids = make_rows(contoso_mail, 2)
        assert memory_broker() == []

    [published] = memory_broker()
    assert (published.task, published.ids, published.eta) == ("notifications.deliver", ids, None)


@pytest.mark.django_db(transaction=True)
def test_it_enqueues_nothing_for_a_rolled_back_change(contoso_mail, memory_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_rows(contoso_mail, 2)
        raise RuntimeError("the change failed")

    assert memory_broker() == []
    assert not OutgoingMessage.objects.exists()
