"""A batch that sends for longer than MAIL_SENDING_STALE_SECONDS keeps its claim: the worker
extends the lease while it sends, so the sweeper never hands its rows to a second worker (which
sent every slow message twice). A real, slow aiosmtpd server; the sweeper runs alongside."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications import delivery
from notifications.delivery import sweep
from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message

Status = OutgoingMessage.Status
pytestmark = pytest.mark.django_db(transaction=True)


def make_rows(store_settings, count):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"Slow #{i}",
            body_text="b",
            to=["a@x.test"],
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


class SecondWorker(threading.Thread):
    """Sweeps every 0.2 s and delivers whatever the sweeper hands back, as another worker would."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.released: list[int] = []

    def run(self):
        try:
            while not self.stop.wait(0.2):
                ids = sweep()
                self.released += ids
                if ids:
                    delivery.deliver(ids)
        finally:
            connection.close()


def test_a_slow_batch_keeps_its_claim_and_sends_each_message_once(
    contoso_mail, smtp_server, settings
):
    settings.MAIL_SENDING_STALE_SECONDS = 1.0
    settings.MAIL_CONNECTIONS_PER_STORE = 1
    server = smtp_server(data_delay=0.7)
    contoso_mail.port = server.port
    contoso_mail.save()
    ids = make_rows(contoso_mail, 4)  # ≈ 2.8 s on one connection: well past the 1 s claim
    second = SecondWorker()
    second.start()
    started = time.monotonic()

    delivery.deliver(ids)

    second.stop.set()
    second.join(10)
    assert time.monotonic() - started > 2 * settings.MAIL_SENDING_STALE_SECONDS
    server.wait_for(4)
    time.sleep(0.5)  # a duplicate would arrive within the second worker's last send
    assert Counter(m.message["Subject"] for m in server.received) == {
        f"Slow #{i}": 1 for i in range(4)
    }
    assert second.released == []
    assert {row.status for row in OutgoingMessage.objects.filter(pk__in=ids)} == {Status.SENT}


def test_the_sweeper_takes_back_rows_whose_lease_ran_out(contoso_mail):
    [expired, alive] = make_rows(contoso_mail, 2)
    long_ago = timezone.now() - timedelta(hours=1)
    OutgoingMessage.objects.filter(pk=expired).update(
        status=Status.SENDING,
        claimed_at=long_ago,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    OutgoingMessage.objects.filter(pk=alive).update(
        status=Status.SENDING,
        claimed_at=long_ago,
        lease_until=timezone.now() + timedelta(minutes=5),
    )

    assert sweep() == [expired]
    assert OutgoingMessage.objects.get(pk=alive).status == Status.SENDING
