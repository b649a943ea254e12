"""core.bulk_insert writes what bulk_create would: every column, prepared by its field where the
field prepares values (dates, JSON, encrypted text), with the primary keys set."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from core import bulk_insert
from notifications.models import OutgoingMessage
from notifications.outbox import new_message


def rows(store_settings, count, **extra):
    made = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"Group changed #{i}",
            body_text="Sales was changed.",
            to=[f"user{i}@contoso.test"],
            why={"to": [["rule", i]]},
        )
        for i in range(count)
    ]
    for row in made:
        for name, value in extra.items():
            setattr(row, name, value)
    return made


def test_rows_read_back_as_written_with_their_keys(contoso_mail):
    due = timezone.now() + timedelta(minutes=5)
    written = bulk_insert.insert(rows(contoso_mail, 3, next_attempt_at=due, attempts=2))
    assert all(row.pk and not row._state.adding for row in written)
    for row in written:
        saved = OutgoingMessage.objects.get(pk=row.pk)
        assert (saved.subject, saved.to, saved.store_id) == (row.subject, row.to, row.store_id)
        assert saved.why == row.why and saved.message_id == row.message_id
        assert saved.next_attempt_at == due and saved.attempts == 2
        assert saved.created is not None and saved.status == OutgoingMessage.Status.QUEUED


def test_more_rows_than_one_statement_takes_keep_their_order(contoso_mail):
    count = bulk_insert.ROWS_PER_STATEMENT * 2 + 7
    written = bulk_insert.insert(rows(contoso_mail, count))
    keys = [row.pk for row in written]
    assert len(set(keys)) == count
    stored = dict(OutgoingMessage.objects.filter(pk__in=keys).values_list("pk", "subject"))
    assert [stored[row.pk] for row in written] == [row.subject for row in written]


def test_an_encrypted_field_is_stored_encrypted(contoso_mail):
    secret = "alice:Pa55word-never-stored-plain"
    (row,) = bulk_insert.insert(rows(contoso_mail, 1, acting_credentials=secret))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT acting_credentials FROM notifications_outgoingmessage WHERE id = %s", [row.pk]
        )
        (stored,) = cursor.fetchone()
    assert stored and "Pa55word" not in stored
    assert OutgoingMessage.objects.get(pk=row.pk).acting_credentials == secret


def test_nothing_to_write_writes_nothing(contoso_mail):
    before = OutgoingMessage.objects.count()
    assert bulk_insert.insert([]) == []
    assert OutgoingMessage.objects.count() == before
