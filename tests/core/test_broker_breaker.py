"""With the broker down, a process pays for noticing it once: for BROKER_PAUSE_SECONDS every
further change skips publishing (no connection attempt at all), its rows stay queued for the
sweeper, and after the pause the next change tries the broker again."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from core.queueing import breaker, broker_paused
from notifications.delivery import sweep
from notifications.models import OutgoingMessage
from notifications.tasks import dispatch
from tests.support.outbox import make_row
from tests.support.servers.listener import Listener
from tests.support.workers import broker as use_broker

pytestmark = pytest.mark.django_db(transaction=True)  # rows are dispatched on commit
PAUSE = 3.0  # long enough for a loaded machine to make a change within it


@pytest.fixture
def counting_broker(settings):
    """A "Redis" on loopback that hangs up on every connection and counts them."""
    settings.BROKER_PAUSE_SECONDS = 60
    listener = Listener(close_at_once=True).start()
    url = f"redis://127.0.0.1:{listener.port}/0"
    with use_broker(url, django_settings.BROKER_SOCKET_TIMEOUTS):
        yield listener
    listener.stop()


def wait_for_accepts(listener: Listener, at_least: int) -> int:
    """The listener counts on its own thread: let it catch up with connections already made."""
    deadline = time.monotonic() + 5
    while listener.connections < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    return listener.connections


def test_it_stops_connecting_after_the_first_failure_and_leaves_rows_to_the_sweeper(
    counting_broker, contoso_mail, caplog
):
    with caplog.at_level(logging.WARNING):
        first = make_row(contoso_mail, "First change")
        paid = wait_for_accepts(counting_broker, 1)
        assert paid >= 1

        later = [make_row(contoso_mail, f"Change {i}") for i in range(20)]

    assert wait_for_accepts(counting_broker, paid) == paid  # not one more connection
    rows = OutgoingMessage.objects.filter(pk__in=[first, *later])
    assert set(rows.values_list("status", flat=True)) == {OutgoingMessage.Status.QUEUED}
    due = timezone.now() + timedelta(seconds=django_settings.MAIL_LOST_AFTER_SECONDS + 1)
    assert sweep(due) == sorted([first, *later])
    not_queued = [r.getMessage() for r in caplog.records if "not queued" in r.getMessage()]
    assert len(not_queued) == 1, not_queued  # logged once, not once per change
    assert "No publishing for 60 s" in not_queued[0]


def test_it_tries_the_broker_again_after_the_pause(counting_broker, contoso_mail, settings):
    settings.BROKER_PAUSE_SECONDS = PAUSE
    make_row(contoso_mail, "First change")
    paid = wait_for_accepts(counting_broker, 1)
    make_row(contoso_mail, "Within the pause")
    assert wait_for_accepts(counting_broker, paid) == paid

    time.sleep(PAUSE + 0.2)
    make_row(contoso_mail, "After the pause")

    assert wait_for_accepts(counting_broker, paid + 1) > paid
    assert broker_paused()  # still down: paused again


def test_a_publish_after_the_pause_that_succeeds_clears_the_outage(memory_broker, caplog):
    breaker.trip(0)  # an outage whose pause is over
    assert not broker_paused() and breaker.tripped

    with caplog.at_level(logging.INFO, logger="core.queueing"):
        assert dispatch([7]) is True

    assert [p.ids for p in memory_broker()] == [[7]]
    assert not breaker.tripped
    assert "The broker is reachable again; publishing resumed" in caplog.messages


def test_a_closed_port_trips_the_breaker_once_for_a_burst_of_changes(
    closed_port, contoso_mail, settings, caplog
):
    settings.BROKER_PAUSE_SECONDS = 60
    url = f"redis://127.0.0.1:{closed_port}/0"
    with use_broker(url, django_settings.BROKER_SOCKET_TIMEOUTS), caplog.at_level(logging.DEBUG):
        ids = [make_row(contoso_mail, f"Import row {i}") for i in range(50)]
        assert broker_paused()

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["core.queueing", "notifications.outbox"]
    skipped = [r for r in caplog.records if "the broker failed moments ago" in r.getMessage()]
    assert len(skipped) == 49  # every later change skipped publishing, quietly
    rows = OutgoingMessage.objects.filter(pk__in=ids, status=OutgoingMessage.Status.QUEUED)
    assert rows.count() == 50
