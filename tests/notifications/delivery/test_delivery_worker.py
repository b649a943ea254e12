"""Real Celery worker processes over a Redis of the test's own, sharing the test database, send
outbox rows to the aiosmtpd test server — and survive a killed worker, an SMTP outage and a
broker outage without losing a message."""

import logging
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message
from tests.support.net import free_port
from tests.support.servers import smtp as smtp_module

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = OutgoingMessage.Status

# Short clocks so recovery happens within seconds; the defaults are minutes (docs/delivery.md).
FAST = {
    "MAIL_RETRY_BASE_SECONDS": "0.5",
    "MAIL_RETRY_MAX_SECONDS": "2",
    "MAIL_LOST_AFTER_SECONDS": "2",
    "MAIL_SENDING_STALE_SECONDS": "3",
    "MAIL_SWEEP_INTERVAL_SECONDS": "1",
}


@pytest.fixture
def mail_settings(contoso_mail, smtp_server):
    server = smtp_server()
    contoso_mail.port = server.port
    contoso_mail.save()
    contoso_mail.server = server
    return contoso_mail


def make_rows(store_settings, count, prefix="Notice"):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"{prefix} {i}",
            body_text="Group membership changed.",
            to=[f"u{i}@contoso.test"],
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def wait_until_sent(ids, worker, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = Counter(
            OutgoingMessage.objects.filter(pk__in=ids).values_list("status", flat=True)
        )
        if statuses[Status.SENT] == len(ids):
            return
        time.sleep(0.2)
    raise AssertionError(
        f"not all sent after {timeout} s: {dict(statuses)}\n{worker.log()[-3000:]}"
    )


def message_ids(server):
    return Counter(m.message["Message-ID"] for m in server.received)


def test_it_delivers_outbox_rows_end_to_end(mail_settings, celery_worker):
    worker = celery_worker()

    ids = make_rows(mail_settings, 60)  # committed: the ids go to Redis now

    wait_until_sent(ids, worker)
    assert len(mail_settings.server.wait_for(60)) == 60
    rows = OutgoingMessage.objects.filter(pk__in=ids)
    assert set(rows.values_list("attempts", flat=True)) == {1}
    assert Counter(message_ids(mail_settings.server).values()) == {1: 60}


def test_it_delivers_everything_when_a_worker_is_killed_mid_batch(
    mail_settings, celery_worker, settings
):
    settings.MAIL_TASK_BATCH_SIZE = 20  # this process enqueues: 30 tasks of 20 rows
    worker = celery_worker(**FAST)
    ids = make_rows(mail_settings, 600)

    mail_settings.server.wait_for(120, timeout=30)
    worker.kill()
    in_flight = set(
        OutgoingMessage.objects.filter(pk__in=ids, status=Status.SENDING).values_list(
            "message_id", flat=True
        )
    )
    delivered_before_restart = mail_settings.server.count
    assert delivered_before_restart < 600, "the worker finished before it was killed"

    restarted = celery_worker(**FAST)
    wait_until_sent(ids, restarted, timeout=60)

    counts = message_ids(mail_settings.server)
    expected = set(OutgoingMessage.objects.filter(pk__in=ids).values_list("message_id", flat=True))
    assert set(counts) == expected  # every message arrived
    duplicates = {mid for mid, n in counts.items() if n > 1}
    assert duplicates <= in_flight  # only rows in flight at the kill went out twice
    assert max(counts.values()) <= 2
    print(
        f"killed after {delivered_before_restart} deliveries; {len(in_flight)} rows in flight; "
        f"{len(duplicates)} delivered twice"
    )


def test_it_delivers_after_the_smtp_server_comes_back(
    contoso_mail, smtp_server, celery_worker, monkeypatch
):
    port = free_port()
    contoso_mail.port = port  # nothing listens there yet: the server is down
    contoso_mail.save()
    worker = celery_worker(**FAST)

    ids = make_rows(contoso_mail, 30)
    deadline = time.monotonic() + 20
    # Each connection stops after 3 failures in a row: 4 × 3 rows are tried per round, and the
    # rest wait without using up an attempt.
    untried = OutgoingMessage.objects.filter(pk__in=ids, attempts=0, status=Status.RETRYING)
    seen_untried = ""
    while OutgoingMessage.objects.filter(pk__in=ids, attempts__gte=2).count() < 12:
        assert time.monotonic() < deadline, worker.log()[-3000:]
        seen_untried = seen_untried or next(iter(untried.values_list("last_error", flat=True)), "")
        time.sleep(0.2)
    assert seen_untried.startswith("Not attempted: the server failed")
    row = OutgoingMessage.objects.get(pk=ids[0])
    assert row.status in (Status.RETRYING, Status.SENDING)
    assert (
        f"Nothing answered at 127.0.0.1:{port}: the connection was refused or timed out"
        in row.last_error
    )

    monkeypatch.setattr(smtp_module, "_Controller", fixed_port_controller(port))
    server = smtp_server()

    wait_until_sent(ids, worker)
    assert Counter(message_ids(server).values()) == {1: 30}


def test_it_delivers_messages_written_while_redis_was_down(
    mail_settings, celery_worker, redis_server, caplog
):
    worker = celery_worker(**FAST)
    wait_until_sent(make_rows(mail_settings, 1, prefix="Warm-up"), worker)
    time.sleep(1)  # the worker acknowledges the task; then it idles, as it would at night

    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="notifications.outbox"):
        ids = make_rows(mail_settings, 25, prefix="During outage")
    assert "Broker unavailable" in caplog.text
    assert OutgoingMessage.objects.filter(pk__in=ids, status=Status.QUEUED).count() == 25
    redis_server.start()

    wait_until_sent(ids, worker, timeout=45)
    assert mail_settings.server.wait_for(26)
    assert Counter(message_ids(mail_settings.server).values()) == {1: 26}


def fixed_port_controller(port: int) -> type:
    """The test server's controller, bound to a port chosen before the server existed."""

    class FixedPortController(smtp_module._Controller):
        def __init__(self, handler, **kwargs):
            Controller.__init__(self, handler, hostname="127.0.0.1", port=port, **kwargs)
            self.sessions = []

    return FixedPortController


def test_a_worker_retries_a_recipient_refused_for_now_without_resending_to_the_others(
    mail_settings, celery_worker
):
    server = mail_settings.server
    server.rcpt_replies = {"carl@contoso.test": ["451 4.2.1 Mailbox busy"] * 2}
    worker = celery_worker(**FAST)
    [row] = enqueue(
        [
            new_message(
                mail_settings.store,
                mail_settings,
                subject="Member added: Sales",
                body_text="Ann was added to Sales.",
                to=["ann@contoso.test", "bea@contoso.test"],
                cc=["carl@contoso.test"],
            )
        ]
    )

    server.wait_for(2, timeout=30)  # the message, then Carl's copy at his third try
    wait_until_sent([row.pk, *row.follow_ups.values_list("pk", flat=True)], worker)

    copies = Counter(rcpt for m in server.received for rcpt in m.rcpt_tos)
    assert copies == {"ann@contoso.test": 1, "bea@contoso.test": 1, "carl@contoso.test": 1}
    assert {m.message["Message-ID"] for m in server.received} == {row.message_id}
    [follow_up] = OutgoingMessage.objects.filter(follow_up_of=row)
    assert (follow_up.status, follow_up.attempts) == (Status.SENT, 3)
