"""The `notifications.deliver` task over real outbox rows to the real aiosmtpd server."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from identitystores.models import AuditEntry
from notifications import tasks
from notifications.delivery.send import send_one
from notifications.models import ActingTrust, NotificationSettings, OutgoingMessage
from notifications.outbox import enqueue, new_message
from tests.support.servers.aio import run

Status = OutgoingMessage.Status
ADMIN_PASSWORD = "alice-sign-in-secret"


@pytest.fixture
def mail_settings(contoso_mail, smtp_server):
    """Contoso sends to a fresh plain aiosmtpd server (no AUTH)."""
    server = smtp_server()
    contoso_mail.port = server.port
    contoso_mail.save()
    contoso_mail.server = server
    return contoso_mail


def make_rows(store_settings, count=1, **fields):
    messages = [
        new_message(
            store_settings.store,
            store_settings,
            subject=f"Group changed #{i}",
            body_text=f"Body {i}",
            body_html=f"<p>Body {i}</p>",
            to=[f"user{i}@contoso.test"],
            **fields,
        )
        for i in range(count)
    ]
    return [row.pk for row in enqueue(messages)]


def rows(ids):
    return list(OutgoingMessage.objects.filter(pk__in=ids).order_by("pk"))


def test_it_sends_queued_rows_and_records_the_servers_reply(mail_settings, memory_broker):
    ids = make_rows(mail_settings, 5)

    tasks.deliver(ids)

    received = mail_settings.server.wait_for(5)
    assert sorted(m.message["Subject"] for m in received) == [
        f"Group changed #{i}" for i in range(5)
    ]
    for row in rows(ids):
        assert row.status == Status.SENT
        assert row.attempts == 1
        assert row.sent_at is not None
        assert row.server_reply.startswith("2.0.0 OK") or "OK" in row.server_reply
        assert row.last_error == ""
    assert memory_broker() == []  # nothing to retry


def test_it_reuses_a_few_connections_for_many_messages(mail_settings, settings, memory_broker):
    settings.MAIL_CONNECTIONS_PER_STORE = 3
    ids = make_rows(mail_settings, 40)

    tasks.deliver(ids)

    mail_settings.server.wait_for(40)
    assert mail_settings.server.connections == 3


def test_it_does_not_send_a_row_twice(mail_settings, memory_broker):
    ids = make_rows(mail_settings, 3)

    tasks.deliver(ids)
    tasks.deliver(ids)

    assert len(mail_settings.server.wait_for(3)) == 3
    assert {row.attempts for row in rows(ids)} == {1}


def test_it_retries_a_transient_failure_with_backoff(mail_settings, settings, memory_broker):
    settings.MAIL_RETRY_BASE_SECONDS = 30
    mail_settings.server.data_reply = "451 4.3.0 Mailbox busy, try later"
    ids = make_rows(mail_settings, 2)
    before = timezone.now()

    tasks.deliver(ids)

    for row in rows(ids):
        assert row.status == Status.RETRYING
        assert row.attempts == 1
        assert "451 4.3.0 Mailbox busy" in row.last_error
        delay = (row.next_attempt_at - before).total_seconds()
        assert 30 * 0.8 - 1 <= delay <= 30 * 1.2 + 1
    [retry] = memory_broker()
    assert retry.task == "notifications.deliver"
    assert sorted(retry.ids) == ids
    assert retry.eta is not None

    # Not due yet: a second task leaves the rows alone.
    mail_settings.server.data_reply = None
    tasks.deliver(ids)
    assert {row.status for row in rows(ids)} == {Status.RETRYING}

    OutgoingMessage.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
    tasks.deliver(ids)
    assert len(mail_settings.server.wait_for(2)) == 2
    assert [(r.status, r.attempts, r.last_error) for r in rows(ids)] == [(Status.SENT, 2, "")] * 2


def test_it_gives_up_after_the_last_attempt(mail_settings, settings, memory_broker):
    settings.MAIL_MAX_ATTEMPTS = 2
    # A 4xx that is no throttling signal (421 would be: it uses no attempt, see test_lanes).
    mail_settings.server.data_reply = "451 4.3.0 Temporary server error"
    [pk] = make_rows(mail_settings)

    tasks.deliver([pk])
    OutgoingMessage.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    tasks.deliver([pk])

    [row] = rows([pk])
    assert row.status == Status.DEAD
    assert row.attempts == 2
    assert row.last_error.startswith("Gave up after 2 attempts. Last error:")
    assert "451 4.3.0 Temporary server error" in row.last_error
    entry = AuditEntry.objects.get(store=mail_settings.store, action="notification not delivered")
    assert entry.field == "Group changed #0"
    assert "451 4.3.0" in entry.new_value
    assert len(memory_broker()) == 1  # only the first failure was scheduled again


def test_it_marks_a_permanent_failure_dead_at_once(mail_settings, memory_broker):
    mail_settings.server.rcpt_replies = {"user0@contoso.test": "550 5.1.1 No such user"}
    ids = make_rows(mail_settings, 2)

    tasks.deliver(ids)

    dead, sent = rows(ids)
    assert (dead.status, dead.attempts) == (Status.DEAD, 1)
    assert "550 5.1.1 No such user" in dead.last_error
    assert sent.status == Status.SENT
    entry = AuditEntry.objects.get(store=mail_settings.store)
    assert (entry.actor_name, entry.field) == ("system", "Group changed #0")
    assert "To: user0@contoso.test" in entry.old_value
    assert memory_broker() == []


def test_it_records_recipients_the_server_refused_on_a_sent_message(mail_settings, memory_broker):
    mail_settings.server.rcpt_replies = {"gone@contoso.test": "550 5.1.1 No such user"}
    [pk] = make_rows(mail_settings, cc=["gone@contoso.test"])

    tasks.deliver([pk])

    [row] = rows([pk])
    assert row.status == Status.SENT
    assert row.last_error.startswith("Refused recipients: gone@contoso.test: 550")
    assert mail_settings.server.wait_for(1)[0].rcpt_tos == ["user0@contoso.test"]


def test_it_connects_with_the_acting_admins_credentials(
    mail_settings, alice, smtp_server, memory_broker
):
    server = smtp_server("starttls", users={"alice": ADMIN_PASSWORD})
    mail_settings.port = server.port
    mail_settings.ssl_enabled = True
    mail_settings.save()
    ActingTrust.objects.create(
        user=alice, destination=f"127.0.0.1:{server.port}/ssl", decision="saved"
    )
    credentials = json.dumps({"username": "alice", "password": ADMIN_PASSWORD})
    with_admin = make_rows(mail_settings, acting_credentials=credentials, triggered_by=alice)
    scheduled = make_rows(mail_settings)

    tasks.deliver(with_admin + scheduled)

    received = server.wait_for(2)
    assert sorted((m.auth_user for m in received), key=str) == [None, "alice"]
    assert all(m.tls for m in received)
    assert [row.acting_credentials for row in rows(with_admin + scheduled)] == ["", ""]
    raw = OutgoingMessage.objects.filter(pk__in=with_admin).values_list(
        "acting_credentials", flat=True
    )
    assert list(raw) == [""]  # wiped in the database, not only on the object


def test_it_holds_the_stores_mail_when_the_server_refuses_the_credentials(
    mail_settings, smtp_server, settings, memory_broker
):
    server = smtp_server(users={"relay": "right"})
    mail_settings.port = server.port
    mail_settings.use_smtp_auth = True
    mail_settings.auth_type = NotificationSettings.AuthType.BASIC
    mail_settings.smtp_username = "relay"
    mail_settings.smtp_password = "wrong-password-123"
    mail_settings.save()
    settings.MAIL_CONNECTIONS_PER_STORE = 2
    ids = make_rows(mail_settings, 10)

    tasks.deliver(ids)

    # The first refusal holds the store's mail: nothing dead, no attempt used, nothing queued.
    assert [(row.status, row.attempts) for row in rows(ids)] == [(Status.QUEUED, 0)] * 10
    assert len(server.auth_attempts) <= 2  # one per connection at most
    for row in rows(ids):
        assert "wrong-password-123" not in row.last_error
        assert row.last_error == "Held: the server refused our credentials (535 5.7.8)."
    assert memory_broker() == []
    assert not AuditEntry.objects.filter(new_value__contains="wrong-password-123").exists()


def test_it_retries_when_the_server_is_unreachable(contoso_mail, closed_port, memory_broker):
    contoso_mail.port = closed_port
    contoso_mail.save()
    ids = make_rows(contoso_mail, 3)

    tasks.deliver(ids)

    for row in rows(ids):
        assert row.status == Status.RETRYING
        assert "refused" in row.last_error
    assert sorted(memory_broker()[0].ids) == ids


def test_it_fails_rows_of_a_store_without_an_smtp_server(contoso_mail, memory_broker):
    contoso_mail.smtp_host = ""
    contoso_mail.save()
    [pk] = make_rows(contoso_mail)

    tasks.deliver([pk])

    [row] = rows([pk])
    assert row.status == Status.DEAD
    assert row.last_error == "No SMTP server is configured for this identity store."


def test_it_sends_each_stores_rows_to_its_own_server(
    mail_settings, fabrikam, smtp_server, memory_broker
):
    other = smtp_server()
    fabrikam_mail = NotificationSettings.objects.create(
        store=fabrikam, smtp_host="127.0.0.1", port=other.port, from_email="it@fabrikam.test"
    )
    ids = make_rows(mail_settings, 2) + make_rows(fabrikam_mail, 3)

    tasks.deliver(ids)

    assert {m.mail_from for m in mail_settings.server.wait_for(2)} == {"directory@contoso.test"}
    assert {m.mail_from for m in other.wait_for(3)} == {"it@fabrikam.test"}
    assert mail_settings.server.count == 2


def test_it_keeps_the_message_id_across_attempts(mail_settings, memory_broker):
    mail_settings.server.data_reply = "451 4.3.0 later"
    [pk] = make_rows(mail_settings)
    message_id = OutgoingMessage.objects.get(pk=pk).message_id

    tasks.deliver([pk])
    mail_settings.server.data_reply = None
    OutgoingMessage.objects.filter(pk=pk).update(next_attempt_at=timezone.now() - timedelta(1))
    tasks.deliver([pk])

    assert message_id
    assert mail_settings.server.wait_for(1)[0].message["Message-ID"] == message_id


def test_it_sends_over_oauth2_with_one_token_for_the_whole_batch(
    contoso_mail, smtp_server, identity_server, memory_broker
):
    idp = identity_server()
    server = smtp_server("starttls", token_checker=idp.is_valid)
    contoso_mail.port = server.port
    contoso_mail.ssl_enabled = True
    contoso_mail.use_smtp_auth = True
    contoso_mail.auth_type = NotificationSettings.AuthType.OAUTH2
    contoso_mail.token_endpoint = idp.token_endpoint
    contoso_mail.client_id = idp.client_id
    contoso_mail.client_secret = idp.client_secret
    contoso_mail.scope = "https://outlook.office.com/SMTP.Send"
    contoso_mail.save()
    ids = make_rows(contoso_mail, 12)

    tasks.deliver(ids)

    assert len(server.wait_for(12)) == 12
    assert {m.tls for m in server.received} == {True}
    assert len(idp.token_calls) == 1
    assert len(server.auth_attempts) == 4  # one XOAUTH2 per connection
    assert {row.status for row in rows(ids)} == {Status.SENT}


def test_it_sends_through_graph_without_an_smtp_server(
    contoso_mail, identity_server, settings, memory_broker
):
    idp = identity_server()
    settings.GRAPH_LOGIN_AUTHORITY_HOST = idp.netloc
    contoso_mail.smtp_host = ""
    contoso_mail.use_smtp_auth = True
    contoso_mail.auth_type = NotificationSettings.AuthType.OAUTH2
    contoso_mail.token_endpoint = idp.graph_endpoint
    contoso_mail.client_id = idp.client_id
    contoso_mail.client_secret = idp.client_secret
    contoso_mail.scope = idp.tenant
    contoso_mail.save()
    ids = make_rows(contoso_mail, 3)

    tasks.deliver(ids)

    sent = idp.wait_for_graph(3)
    assert {m.mailbox for m in sent} == {"directory@contoso.test"}
    assert {row.status for row in rows(ids)} == {Status.SENT}
    assert len(idp.token_calls) == 1


def test_it_marks_a_row_that_cannot_be_rendered_dead_and_sends_the_others(
    mail_settings, memory_broker
):
    ids = make_rows(mail_settings, 3)
    OutgoingMessage.objects.filter(pk=ids[1]).update(subject="Hi\r\nBcc: victim@elsewhere.test")

    tasks.deliver(ids)

    first, broken, last = rows(ids)
    assert (first.status, last.status) == (Status.SENT, Status.SENT)
    assert broken.status == Status.DEAD
    assert (
        broken.last_error == "The Subject header contains a line break; the message was not sent."
    )
    received = mail_settings.server.wait_for(2)
    assert all(b"victim" not in m.data for m in received)
    assert all(m.rcpt_tos != ["victim@elsewhere.test"] for m in received)


def test_it_sends_bcc_recipients_in_the_envelope_only(mail_settings, memory_broker):
    ids = make_rows(mail_settings, 1, cc=["manager@contoso.test"], bcc=["audit@contoso.test"])

    tasks.deliver(ids)

    (received,) = mail_settings.server.wait_for(1)
    assert received.rcpt_tos == ["user0@contoso.test", "manager@contoso.test", "audit@contoso.test"]
    assert b"audit@contoso.test" not in received.data
    assert received.message["Cc"] == "manager@contoso.test"
    assert received.message.get_body(("html",)).get_content().strip() == "<p>Body 0</p>"


def test_it_fails_a_row_whose_text_cannot_be_encoded_without_sending(contoso_mail):
    row = OutgoingMessage(
        store=contoso_mail.store,
        from_email="directory@contoso.test",
        to="user@contoso.test",
        subject="broken \udc80 subject",
        body_text="text",
        message_id="<m1@contoso.test>",
    )

    outcome = run(send_one(None, row))

    assert outcome.result is None and outcome.error.permanent
    assert outcome.error.message.startswith("The message could not be built:")


def test_a_task_takes_the_stores_other_due_rows_too(mail_settings, settings, memory_broker):
    settings.MAIL_CLAIM_LIMIT = 30
    first = make_rows(mail_settings, 10)
    burst = make_rows(mail_settings, 30)
    later = make_rows(mail_settings, 1)
    OutgoingMessage.objects.filter(pk__in=later).update(
        status=Status.RETRYING, next_attempt_at=timezone.now() + timedelta(hours=1)
    )

    tasks.deliver(first)  # its own 10 rows, then 20 more of the store's due rows, oldest first

    assert {row.status for row in rows(first + burst[:20])} == {Status.SENT}
    assert {row.status for row in rows(burst[20:])} == {Status.QUEUED}
    assert rows(later)[0].status == Status.RETRYING  # not due: left alone
    tasks.deliver(burst[:20])  # their own tasks find nothing left to send
    assert len(mail_settings.server.wait_for(30)) == 30


def test_a_store_with_sending_limits_takes_only_its_tasks_rows(mail_settings, memory_broker):
    mail_settings.max_messages_per_minute = 1000
    mail_settings.save()
    first = make_rows(mail_settings, 2)
    other = make_rows(mail_settings, 3)

    tasks.deliver(first)

    assert {row.status for row in rows(first)} == {Status.SENT}
    assert {row.status for row in rows(other)} == {Status.QUEUED}
