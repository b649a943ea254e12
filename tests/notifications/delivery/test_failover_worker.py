"""A real Celery worker over Redis fails a store over to its second SMTP server: the first
server's port is closed, the mail arrives at the second, nothing is dead, the lane says so."""

import pytest

from identitystores.models import AuditEntry
from notifications.delivery import lanes
from notifications.models import OutgoingMessage
from tests.notifications.delivery.test_lanes_worker import change, drain
from tests.support.net import free_port

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = OutgoingMessage.Status
FAST = {
    "DIRMGR_LANE_MINUTE_SECONDS": "0.5",
    "MAIL_RETRY_BASE_SECONDS": "0.3",
    "MAIL_RETRY_MAX_SECONDS": "1",
}


def test_a_worker_sends_through_the_second_server_when_the_first_is_closed(
    contoso_mail, smtp_server, celery_worker, settings
):
    settings.DIRMGR_LANE_MINUTE_SECONDS = 0.5
    second = smtp_server()
    contoso_mail.port = free_port()  # nothing listens there
    contoso_mail.second_smtp_host = "127.0.0.1"
    contoso_mail.second_port = second.port
    contoso_mail.switch_after = 1
    contoso_mail.save()
    worker = celery_worker(**FAST)

    ids = change(contoso_mail, 6)
    statuses = drain(ids, worker, timeout=60)

    assert statuses == {Status.SENT: 6}
    assert second.count == 6
    vias = set(OutgoingMessage.objects.filter(pk__in=ids).values_list("sent_via", flat=True))
    assert vias == {f"127.0.0.1:{second.port}"}
    assert (
        AuditEntry.objects.filter(
            store=contoso_mail.store, action="Delivery switched to the second SMTP server"
        ).count()
        == 1
    )
    assert lanes.lane_state(contoso_mail.store_id).state == "failover"
