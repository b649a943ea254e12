"""A second SMTP server: two real aiosmtpd servers on loopback. The first stopped (its port
closed) or refusing service with 421 for the store's "Switch after" time → the lane sends
through the second, says so and writes the history; the first back → the lane switches back."""

import time

import pytest

from identitystores.models import AuditEntry
from notifications import metrics, tasks
from notifications.delivery import failover, lanes
from notifications.models import OutgoingMessage, SendLane
from notifications.transports import TransportConfig
from tests.notifications.delivery.test_lanes import by_status, make_rows, rows
from tests.support.net import free_port

Status = OutgoingMessage.Status
MINUTE = 0.2  # seconds in a lane minute: "Switch after" 1 minute is 0.2 s here


@pytest.fixture
def two_servers(contoso_mail, smtp_server, settings):
    """Contoso's first server is `first` (a port, or a started server); the second is running."""
    settings.DIRMGR_LANE_MINUTE_SECONDS = MINUTE
    settings.MAIL_RETRY_BASE_SECONDS = 0.05
    settings.MAIL_RETRY_MAX_SECONDS = 0.1
    second = smtp_server()

    def configure(first_port: int):
        contoso_mail.port = first_port
        contoso_mail.second_smtp_host = "127.0.0.1"
        contoso_mail.second_port = second.port
        contoso_mail.switch_after = 1
        contoso_mail.save()
        return second

    return configure


def deliver_until_quiet(ids, rounds=6):
    """Run the deliver task as the broker would, each round after the rows' retry time."""
    for _ in range(rounds):
        tasks.deliver(ids)
        if all(row.status in (Status.SENT, Status.DEAD) for row in rows(ids)):
            return
        time.sleep(MINUTE * 0.75)


def history(store):
    return list(
        AuditEntry.objects.filter(store=store, action__startswith="Delivery switched")
        .order_by("created", "pk")
        .values_list("action", "new_value")
    )


def test_it_switches_to_the_second_when_the_first_port_is_closed(
    two_servers, contoso_mail, memory_broker, alice_client
):
    second = two_servers(free_port())  # nothing listens there
    ids = make_rows(contoso_mail, 3)

    tasks.deliver(ids)

    assert second.count == 0
    assert by_status(ids) == {Status.RETRYING: 3}
    assert SendLane.objects.get(store=contoso_mail.store).failover_since is None

    time.sleep(MINUTE * 1.2)
    deliver_until_quiet(ids)

    assert by_status(ids) == {Status.SENT: 3}
    assert second.count == 3
    assert {row.sent_via for row in rows(ids)} == {f"127.0.0.1:{second.port}"}
    assert max(row.attempts for row in rows(ids)) <= 3
    [(action, reason)] = history(contoso_mail.store)
    assert action == "Delivery switched to the second SMTP server"
    assert reason.startswith("the first is unreachable (Nothing answered at 127.0.0.1:")
    state = lanes.lane_state(contoso_mail.store_id)
    assert state.state == "failover"
    assert state.words.startswith("sending through the second SMTP server 127.0.0.1 since ")
    assert ": the first is unreachable (Nothing answered at 127.0.0.1:" in state.words
    page = alice_client.get(f"/identity-stores/{contoso_mail.store_id}/outbox/{ids[0]}/")
    assert f"127.0.0.1:{second.port} (the second SMTP server)" in page.content.decode()
    outbox = alice_client.get(f"/identity-stores/{contoso_mail.store_id}/outbox/").content.decode()
    assert "sending through the second SMTP server 127.0.0.1 since" in outbox
    scraped = list(metrics.OutboxCollector().collect())
    lane_family = next(f for f in scraped if f.name == "dirmgr_lane_state")
    assert [s.labels["state"] for s in lane_family.samples] == ["failover"]


def test_it_switches_back_when_the_first_serves_again(
    two_servers, contoso_mail, smtp_server, memory_broker
):
    first = smtp_server()
    first.mail_reply = "421 4.3.2 Service not available, closing transmission channel"
    second = two_servers(first.port)
    ids = make_rows(contoso_mail, 2)

    tasks.deliver(ids)
    time.sleep(MINUTE * 1.2)
    deliver_until_quiet(ids)

    assert by_status(ids) == {Status.SENT: 2}
    assert (first.count, second.count) == (0, 2)
    assert lanes.lane_state(contoso_mail.store_id).words.endswith(
        "the first is refusing service (421 4.3.2)"
    )

    first.mail_reply = None
    time.sleep(MINUTE * failover.PROBE_EVERY * 1.1)
    later = make_rows(contoso_mail, 3)
    deliver_until_quiet(later)

    assert by_status(later) == {Status.SENT: 3}
    assert first.count >= 1  # the probe message went to the first, and it worked
    assert rows(later)[0].sent_via == f"127.0.0.1:{first.port}"
    assert [action for action, _ in history(contoso_mail.store)] == [
        "Delivery switched to the second SMTP server",
        "Delivery switched back to the first SMTP server",
    ]
    assert lanes.lane_state(contoso_mail.store_id).state != "failover"
    assert not OutgoingMessage.objects.filter(status=Status.DEAD).exists()


def test_refused_recipients_do_not_switch(two_servers, contoso_mail, smtp_server, memory_broker):
    first = smtp_server()
    first.rcpt_replies = {"u0@contoso.test": "550 5.1.1 User unknown"}
    second = two_servers(first.port)
    ids = make_rows(contoso_mail, 1)

    tasks.deliver(ids)
    time.sleep(MINUTE * 1.2)
    tasks.deliver(ids)

    assert second.count == 0
    assert history(contoso_mail.store) == []
    assert lanes.lane_state(contoso_mail.store_id).state != "failover"


def test_a_working_first_server_costs_no_lane(two_servers, contoso_mail, smtp_server):
    first = smtp_server()
    second = two_servers(first.port)
    ids = make_rows(contoso_mail, 2)

    tasks.deliver(ids)

    assert by_status(ids) == {Status.SENT: 2}
    assert (first.count, second.count) == (2, 0)
    assert {row.sent_via for row in rows(ids)} == {f"127.0.0.1:{first.port}"}
    assert not SendLane.objects.exists()


def test_acting_credentials_and_graph_never_fail_over(contoso_mail):
    contoso_mail.second_smtp_host = "smtp2.contoso.test"
    acting = TransportConfig("smtp.contoso.test", 25, "d@contoso.test", username="alice")
    relay = TransportConfig("smtp.contoso.test", 25, "d@contoso.test")
    graph = TransportConfig("", 443, "d@contoso.test", auth="graph")
    basic = TransportConfig("smtp.contoso.test", 25, "d@contoso.test", auth="basic", username="s")

    assert failover.second_config(acting, contoso_mail) is None
    assert failover.second_config(graph, contoso_mail) is None
    assert failover.second_config(relay, contoso_mail).host == "smtp2.contoso.test"
    moved = failover.second_config(basic, contoso_mail)
    assert (moved.host, moved.port, moved.username) == ("smtp2.contoso.test", 25, "s")


def test_a_mail_system_refusal_at_mail_from_switches(two_servers, contoso_mail, smtp_server):
    first = smtp_server()
    first.mail_reply = "451 4.3.0 Mail system temporarily unavailable"
    second = two_servers(first.port)
    ids = make_rows(contoso_mail, 2)

    tasks.deliver(ids)
    time.sleep(MINUTE * 1.2)
    deliver_until_quiet(ids)

    assert by_status(ids) == {Status.SENT: 2}
    assert (first.count, second.count) == (0, 2)
    [(_, reason)] = history(contoso_mail.store)
    assert reason == "the first is refusing service (451 4.3.0)"
