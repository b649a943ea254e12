"""Send lanes: the `notifications.deliver` task against a server enforcing Exchange Online's
limits (tests/support/servers/limits.py). Throttling waits without using up attempts, a daily
quota defers to the next window, refused credentials hold the store's mail until fixed."""

from datetime import UTC, datetime, timedelta

import pytest

from notifications import tasks
from notifications.delivery import lanes
from notifications.delivery.signals import Signal, classify
from notifications.models import NotificationSettings, OutgoingMessage, SendLane
from notifications.outbox import enqueue, new_message
from notifications.transports import TransportError
from tests.support.servers.limits import ExchangeLimits, LimitedSMTPServer

Status = OutgoingMessage.Status


@pytest.fixture
def limited(contoso_mail, settings, ca_bundle):
    """limited(ExchangeLimits(...)) → Contoso sends to a started limit-enforcing server."""
    started = []

    def start(limits: ExchangeLimits, **budget) -> LimitedSMTPServer:
        settings.DIRMGR_LANE_MINUTE_SECONDS = limits.minute
        server = LimitedSMTPServer(limits=limits).start()
        started.append(server)
        contoso_mail.port = server.port
        for name, value in budget.items():
            setattr(contoso_mail, name, value)
        contoso_mail.save()
        return server

    yield start
    for server in started:
        server.stop()


def make_rows(store_settings, count, bcc=0):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"Notice {i}",
            body_text="Group membership changed.",
            to=[f"u{i}@contoso.test"],
            bcc=[f"b{i}-{j}@contoso.test" for j in range(bcc)],
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def rows(ids):
    return list(OutgoingMessage.objects.filter(pk__in=ids).order_by("pk"))


def by_status(ids):
    found: dict[str, int] = {}
    for row in rows(ids):
        found[row.status] = found.get(row.status, 0) + 1
    return found


@pytest.mark.parametrize(
    ("reply", "signal"),
    [
        ("421 4.7.0 Too many connections, try later", Signal.RATE),
        ("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", Signal.CONNECTIONS),
        ("451 4.7.0 Message submission rate exceeded", Signal.RATE),
        ("450 4.7.1 Slow down", Signal.RATE),
        ("452 4.5.3 Too many recipients", Signal.RECIPIENTS),
        ("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException", Signal.QUOTA),
        ("452 4.3.1 Daily sending quota exceeded", Signal.QUOTA),
        (
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled",
            Signal.AUTH,
        ),
        ("550 5.7.30 Basic authentication is not supported for Client Submission", Signal.AUTH),
        ("invalid_grant: AADSTS50126: Error validating credentials", Signal.AUTH),
        ("451 4.3.0 Temporary server error", None),
        ("452 4.2.2 Mailbox full: over quota", None),
        ("550 5.1.1 User unknown", None),
        ("421@contoso.test: 550 5.1.1 User unknown", None),
    ],
)
def test_it_tells_signals_from_failures(reply, signal):
    error = TransportError(f"The server refused the message: {reply}", permanent=True, reply=reply)
    assert classify(error) is signal


def test_network_trouble_is_no_signal_whatever_the_port():
    error = TransportError("Nothing answered at 127.0.0.1:4211: refused.", permanent=False)
    assert classify(error) is None


def test_a_store_without_limits_gets_no_lane(mail_settings_plain, memory_broker):
    ids = make_rows(mail_settings_plain, 3)
    tasks.deliver(ids)
    assert by_status(ids) == {Status.SENT: 3}
    assert not SendLane.objects.exists()
    assert lanes.lane_state(mail_settings_plain.store_id).state == "open"


@pytest.fixture
def mail_settings_plain(contoso_mail, smtp_server):
    server = smtp_server()
    contoso_mail.port = server.port
    contoso_mail.save()
    return contoso_mail


def test_a_budget_paces_the_store_and_the_rest_waits_untried(limited, contoso_mail, memory_broker):
    server = limited(ExchangeLimits(minute=2.0), max_messages_per_minute=3)
    ids = make_rows(contoso_mail, 10)

    tasks.deliver(ids)

    assert server.count == 3
    assert server.throttle_replies == 0
    waiting = [row for row in rows(ids) if row.status != Status.SENT]
    assert len(waiting) == 7
    assert {(row.status, row.attempts) for row in waiting} == {(Status.QUEUED, 0)}
    [again] = memory_broker()
    assert sorted(again.ids) == [row.pk for row in waiting]
    eta = datetime.fromisoformat(again.eta)
    assert timedelta(seconds=1.5) < eta - datetime.now(UTC) < timedelta(seconds=2.5)
    state = lanes.lane_state(contoso_mail.store_id)
    assert state.state == "paced"
    assert state.words.startswith("paced at 3/min, 7 waiting, next window in ")
    assert state.rate_per_minute == 3


def test_throttling_is_learned_and_uses_no_attempt(limited, contoso_mail, settings, memory_broker):
    settings.MAIL_CONNECTIONS_PER_STORE = 3
    server = limited(ExchangeLimits(per_minute=4, minute=3.0))
    ids = make_rows(contoso_mail, 10)

    tasks.deliver(ids)

    assert server.count == 4
    assert server.replies["451 4.7.0"] >= 1
    assert set(server.replies) <= {"451 4.7.0", "432 4.3.2"}
    sent = [row for row in rows(ids) if row.status == Status.SENT]
    waiting = [row for row in rows(ids) if row.status != Status.SENT]
    assert len(sent) == 4
    assert all(row.attempts == 0 for row in waiting)
    assert all(row.status == Status.QUEUED for row in waiting)
    assert any("slow down (451 4.7.0)" in row.last_error for row in waiting)
    lane = SendLane.objects.get(store=contoso_mail.store)
    assert lane.learned_per_minute == 4
    state = lanes.lane_state(contoso_mail.store_id)
    assert state.state == "paced"
    assert "paced at 4/min, 6 waiting" in state.words
    assert not OutgoingMessage.objects.filter(status=Status.DEAD).exists()


def test_one_connection_too_many_leaves_the_rest_to_the_others(
    limited, contoso_mail, settings, memory_broker
):
    settings.MAIL_CONNECTIONS_PER_STORE = 3
    server = limited(ExchangeLimits(connections=1, minute=60.0))
    ids = make_rows(contoso_mail, 12)

    tasks.deliver(ids)

    assert by_status(ids) == {Status.SENT: 12}
    assert {row.attempts for row in rows(ids)} == {1}
    assert 1 <= server.throttle_replies <= 2
    assert SendLane.objects.get(store=contoso_mail.store).learned_connections == 1


def test_a_daily_quota_defers_to_the_next_window(limited, contoso_mail, memory_broker):
    server = limited(ExchangeLimits(per_day=6, minute=60.0))
    ids = make_rows(contoso_mail, 5, bcc=1)  # 2 recipients each

    tasks.deliver(ids)

    assert server.count == 3
    waiting = [row for row in rows(ids) if row.status != Status.SENT]
    assert len(waiting) == 2
    midnight = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    assert {(row.status, row.attempts, row.next_attempt_at) for row in waiting} == {
        (Status.QUEUED, 0, midnight)
    }
    assert "daily recipient limit (554 5.2.0)" in waiting[0].last_error
    state = lanes.lane_state(contoso_mail.store_id)
    assert state.state == "deferred"
    assert state.words == "deferred until 00:00 UTC: daily recipient limit"
    assert state.next_window_at == midnight


def test_a_daily_budget_defers_before_the_server_refuses(limited, contoso_mail, memory_broker):
    server = limited(ExchangeLimits(minute=60.0), max_recipients_per_day=4)
    ids = make_rows(contoso_mail, 5, bcc=1)

    tasks.deliver(ids)

    assert server.count == 2
    assert server.throttle_replies == 0
    assert lanes.lane_state(contoso_mail.store_id).state == "deferred"


def test_recipients_per_message_splits_and_learns(limited, contoso_mail, memory_broker):
    server = limited(ExchangeLimits(per_message=3, minute=60.0))
    ids = make_rows(contoso_mail, 2, bcc=6)  # 7 recipients each

    tasks.deliver(ids)

    assert by_status(ids) == {Status.SENT: 2}
    assert server.recipients == 14
    assert all(len(m.rcpt_tos) <= 3 for m in server.received)
    assert all(row.last_error == "" for row in rows(ids))
    assert SendLane.objects.get(store=contoso_mail.store).learned_per_message == 3


def test_a_recipients_budget_sends_in_parts_without_a_refusal(limited, contoso_mail, memory_broker):
    server = limited(ExchangeLimits(per_message=3, minute=60.0), max_recipients_per_message=3)
    ids = make_rows(contoso_mail, 1, bcc=6)

    tasks.deliver(ids)

    assert by_status(ids) == {Status.SENT: 1}
    assert [len(m.rcpt_tos) for m in server.received] == [3, 3, 1]
    assert server.throttle_replies == 0
    assert len({m.message["Message-ID"] for m in server.received}) == 1


def test_refused_credentials_hold_until_working_ones_are_saved(
    contoso_mail, smtp_server, alice_client, memory_broker, django_capture_on_commit_callbacks
):
    server = smtp_server(users={"relay": "right-password-1"})
    server.auth_fail_reply = (
        "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect"
    )
    contoso_mail.port = server.port
    contoso_mail.use_smtp_auth = True
    contoso_mail.smtp_username = "relay"
    contoso_mail.smtp_password = "wrong-password-1"
    contoso_mail.save()
    ids = make_rows(contoso_mail, 4)

    tasks.deliver(ids)

    assert by_status(ids) == {Status.QUEUED: 4}
    assert memory_broker() == []
    state = lanes.lane_state(contoso_mail.store_id)
    assert state.state == "held"
    assert state.words.startswith("held: authentication refused at ")
    assert state.words.endswith("(535 5.7.139)")
    assert "wrong-password-1" not in state.reason + state.words

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/identity-stores/{contoso_mail.store_id}/configurations/notifications/",
            {
                "smtp_host": "127.0.0.1",
                "from_email": "directory@contoso.test",
                "port": str(server.port),
                "use_smtp_auth": "on",
                "auth_type": "basic",
                "smtp_username": "relay",
                "smtp_password": "right-password-1",
            },
            follow=True,
        )
    assert "4 held messages are sent again with the new settings." in response.content.decode()
    assert lanes.lane_state(contoso_mail.store_id).state == "open"
    [again] = memory_broker()
    assert sorted(again.ids) == ids
    tasks.deliver(again.ids)
    assert by_status(ids) == {Status.SENT: 4}
    assert {row.attempts for row in rows(ids)} == {1}


def test_the_budget_fields_explain_bad_input(alice_client, contoso):
    response = alice_client.post(
        f"/identity-stores/{contoso.pk}/configurations/notifications/",
        {
            "smtp_host": "smtp.contoso.test",
            "from_email": "n@contoso.test",
            "port": "587",
            "auth_type": "basic",
            "max_messages_per_minute": "0",
            "max_recipients_per_day": "lots",
        },
    )
    page = response.content.decode()
    assert "Advanced: sending limits" in page
    for field, message in (
        ("max_messages_per_minute", "greater than or equal to 1"),
        ("max_recipients_per_day", "Enter a whole number."),
    ):
        field_html = page.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
        assert message in field_html
    assert not NotificationSettings.objects.filter(store=contoso).exists()


def test_blank_limits_mean_no_limit(alice_client, contoso):
    url = f"/identity-stores/{contoso.pk}/configurations/notifications/"
    base = {"smtp_host": "smtp.contoso.test", "from_email": "n@contoso.test", "port": "587"}
    alice_client.post(url, {**base, "auth_type": "basic", "max_connections": "3"})
    saved = NotificationSettings.objects.get(store=contoso)
    assert saved.max_connections == 3
    assert saved.max_messages_per_minute is None


def hold(store_settings, count):
    """The store's lane held, with `count` rows waiting for it as the worker leaves them."""
    from notifications.delivery.learn import HELD_FOR

    ids = make_rows(store_settings, count)
    OutgoingMessage.objects.filter(pk__in=ids).update(
        next_attempt_at=datetime.now(UTC) + HELD_FOR, last_error="Held: …"
    )
    SendLane.objects.create(
        store=store_settings.store, held_at=datetime.now(UTC), held_reply="535 5.7.139"
    )
    return ids


@pytest.mark.parametrize(("port_change", "released"), [(0, True), (1, False)])
def test_a_test_server_success_with_the_saved_settings_releases_held_mail(
    alice_client,
    mail_settings_plain,
    memory_broker,
    django_capture_on_commit_callbacks,
    port_change,
    released,
):
    ids = hold(mail_settings_plain, 2)
    memory_broker()
    form = {
        "smtp_host": "127.0.0.1",
        "from_email": "directory@contoso.test",
        "port": str(mail_settings_plain.port + port_change),
        "auth_type": "basic",
        "test_recipient": "ops@contoso.test",
    }
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            f"/identity-stores/{mail_settings_plain.store_id}/configurations/notifications/"
            "test-server/",
            form,
            HTTP_ACCEPT="application/json",
        )

    state = lanes.lane_state(mail_settings_plain.store_id)
    if released:  # the saved settings work: their mail goes
        assert state.state == "open"
        [again] = memory_broker()
        assert sorted(again.ids) == ids
    else:  # an unsaved edit (or a failed test) proves nothing about the saved settings
        assert state.state == "held"
        assert memory_broker() == []


def test_lane_states_list_every_lane_in_a_stable_shape(contoso_mail, memory_broker):
    contoso_mail.max_messages_per_minute = 30
    contoso_mail.save()
    make_rows(contoso_mail, 2)

    [state] = lanes.lane_states()

    assert state == lanes.LaneState(
        store_id=contoso_mail.store_id,
        state="paced",
        words="paced at 30/min, 2 waiting",
        waiting=2,
        rate_per_minute=30,
        next_window_at=None,
        reason="",
    )
