"""The worker's database session dies after the SMTP server accepted a batch and before the
outcomes are written: the worker reconnects and records, so every message arrives exactly once
and its row reads "sent" — nothing is left for the sweeper to send a second time.

On PostgreSQL the worker's backend is terminated (`pg_terminate_backend`), as a restart or a
failover would; on SQLite its handle is closed under it.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from notifications import tasks
from notifications.delivery import sweep
from notifications.delivery.reconnect import with_reconnect
from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits; no wrapping atomic
Status = OutgoingMessage.Status
BATCH = 12


@pytest.fixture
def mail_settings(contoso_mail, smtp_server):
    server = smtp_server()
    contoso_mail.port = server.port
    contoso_mail.save()
    contoso_mail.server = server
    return contoso_mail


def make_rows(store_settings, count):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"Member added #{i}",
            body_text="Ann was added to Sales.",
            to=[f"user{i}@contoso.test"],
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def session_breaker():
    """A callable that kills this thread's database session from any other thread."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [pid] = cursor.fetchone()
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)

        def kill() -> None:
            with psycopg.connect(**params, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])

        return kill
    raw = connection.connection
    return raw.close


def test_a_dropped_session_after_acceptance_is_reconnected_and_recorded_once(
    mail_settings, memory_broker, caplog
):
    ids = make_rows(mail_settings, BATCH)
    assert [p.ids for p in memory_broker()] == [ids]  # queued on commit; run here instead
    kill = session_breaker()
    server = mail_settings.server
    server.after_data = lambda count: kill() if count == BATCH else None

    with caplog.at_level(logging.WARNING, logger="notifications.delivery.reconnect"):
        tasks.deliver(ids)

    received = Counter(m.message["Message-ID"] for m in server.wait_for(BATCH))
    rows = OutgoingMessage.objects.filter(pk__in=ids)
    assert set(received) == set(rows.values_list("message_id", flat=True))
    assert set(received.values()) == {1}
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert set(rows.values_list("attempts", flat=True)) == {1}
    assert any("the database connection was lost" in m for m in caplog.messages)
    after_lease = timezone.now() + timedelta(seconds=settings.MAIL_SENDING_STALE_SECONDS + 1)
    assert sweep(after_lease) == []  # nothing left "sending" for the sweeper to send again
    assert len(server.wait_for(BATCH)) == BATCH
    assert memory_broker() == []  # no retry scheduled either


def test_a_failing_statement_on_a_live_connection_is_not_tried_again():
    """Only a lost connection is worth another try: a statement that fails raises at once."""
    tries = []

    def bad_statement():
        tries.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(DatabaseError):
        with_reconnect(bad_statement, "Recording a batch")

    assert tries == [1]


def test_a_session_dropped_while_sending_keeps_the_lease_and_records(
    mail_settings, memory_broker, settings, caplog
):
    """The lease is extended from a new session, so a slow batch is not taken for a dead one."""
    settings.MAIL_SENDING_STALE_SECONDS = 2  # the lease is extended every 0.5 s
    settings.MAIL_CONNECTIONS_PER_STORE = 1
    ids = make_rows(mail_settings, 6)
    memory_broker()
    kill = session_breaker()
    server = mail_settings.server
    server.data_delay = 0.4  # about 2.4 s of sending: several lease beats
    server.after_data = lambda count: kill() if count == 1 else None

    with caplog.at_level(logging.WARNING, logger="notifications.delivery.lease"):
        tasks.deliver(ids)

    assert "Extending a lease: the database connection was lost" in caplog.text
    rows = OutgoingMessage.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    received = Counter(m.message["Message-ID"] for m in server.wait_for(6))
    assert sorted(received.values()) == [1] * 6
