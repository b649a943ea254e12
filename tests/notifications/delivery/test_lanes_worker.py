"""A real Celery worker pool drains paced stores against a server enforcing Exchange Online's
limits, without a single dead letter: once with a budget set, once learning from the replies."""

import time
from collections import Counter

import pytest

from notifications.models import OutgoingMessage, SendLane
from notifications.outbox import enqueue, new_message
from tests.support.servers.limits import ExchangeLimits, LimitedSMTPServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = OutgoingMessage.Status
LIMITS = ExchangeLimits(connections=3, per_minute=10, per_day=10_000, per_message=500, minute=1.0)
LANE = {"DIRMGR_LANE_MINUTE_SECONDS": "1"}
# The lane keeps a margin of 2 % of a minute: 1.2 s in a real minute, 20 ms in a 1 s one, less
# than a busy CI machine may delay a message. The test that allows no refusal at all runs with
# 3 s minutes (a 60 ms margin).
EXACT = ExchangeLimits(connections=3, per_minute=10, per_day=10_000, per_message=500, minute=3.0)


@pytest.fixture
def limited_server(contoso_mail, settings, request):
    limits = getattr(request, "param", LIMITS)
    settings.DIRMGR_LANE_MINUTE_SECONDS = limits.minute
    server = LimitedSMTPServer(limits=limits).start()
    contoso_mail.port = server.port
    contoso_mail.save()
    yield server
    server.stop()


def change(store_settings, count: int) -> list[int]:
    """One change's Bcc batches, as notify writes them: `count` messages of 20 recipients."""
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"Sales changed ({i + 1} of {count})",
            body_text="Group membership changed.",
            to=[],
            bcc=[f"m{i}-{j}@contoso.test" for j in range(20)],
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def drain(ids, worker, timeout: float) -> Counter:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = Counter(
            OutgoingMessage.objects.filter(pk__in=ids).values_list("status", flat=True)
        )
        if statuses[Status.SENT] + statuses[Status.DEAD] == len(ids):
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"not drained after {timeout} s: {dict(statuses)}\n{worker.log()[-3000:]}")


@pytest.mark.parametrize("limited_server", [EXACT], indirect=True)
def test_a_worker_pool_drains_a_budgeted_store_without_a_refusal(
    contoso_mail, limited_server, celery_worker
):
    contoso_mail.max_connections = 3
    contoso_mail.max_messages_per_minute = 10
    contoso_mail.save()
    worker = celery_worker(DIRMGR_LANE_MINUTE_SECONDS=str(EXACT.minute))
    ids = change(contoso_mail, 35)

    statuses = drain(ids, worker, timeout=90)

    assert statuses == {Status.SENT: 35}
    assert limited_server.count == 35
    assert limited_server.recipients == 35 * 20
    assert limited_server.throttle_replies == 0
    assert limited_server.most_connections <= 3
    assert set(OutgoingMessage.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


def test_a_worker_pool_learns_the_limits_of_a_store_without_a_budget(
    contoso_mail, limited_server, celery_worker
):
    worker = celery_worker(**LANE)
    ids = change(contoso_mail, 35)

    statuses = drain(ids, worker, timeout=90)

    assert statuses == {Status.SENT: 35}
    assert limited_server.count == 35
    assert limited_server.throttle_replies >= 1  # what it learned from
    lane = SendLane.objects.get(store=contoso_mail.store)
    assert lane.throttle_replies >= 1
    assert set(OutgoingMessage.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
