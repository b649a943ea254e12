"""A server that refuses some recipients at RCPT while it takes the message for the others.

A 4xx for a recipient is retried for that recipient alone (a follow-up row with its own attempts
and backoff), and those who already got the message never get it again; a 5xx is recorded for
that recipient and shown with the row on the Outbox page. The real aiosmtpd server refuses; the
real `notifications.deliver` task sends, run here as a worker runs it: each queued task when its
ETA comes.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from identitystores.models import AuditEntry
from notifications import tasks
from notifications.models import OutgoingMessage, RecipientRefusal
from notifications.outbox import enqueue, new_message

pytestmark = pytest.mark.django_db(transaction=True)  # rows are queued when they commit
Status = OutgoingMessage.Status
BUSY = "451 4.2.1 Mailbox busy, try again later"
NO_SUCH_USER = "550 5.1.1 No such user"


@pytest.fixture
def mail_settings(contoso_mail, smtp_server, settings):
    settings.MAIL_RETRY_BASE_SECONDS = 0.2
    settings.MAIL_RETRY_MAX_SECONDS = 0.5
    server = smtp_server()
    contoso_mail.port = server.port
    contoso_mail.save()
    contoso_mail.server = server
    return contoso_mail


def make_row(store_settings, cc: list[str]) -> int:
    [row] = enqueue(
        [
            new_message(
                store_settings.store,
                store_settings,
                subject="Member added: Sales",
                body_text="Ann was added to Sales.",
                to=["ann@contoso.test"],
                cc=cc,
            )
        ]
    )
    return row.pk


def run_queued(memory_broker, limit: float = 30.0) -> int:
    """Run every queued `deliver` task at its ETA, and what they queue, until none is left."""
    deadline = time.monotonic() + limit
    runs = 0
    while published := memory_broker():
        for task in sorted(published, key=lambda p: p.eta or ""):
            assert time.monotonic() < deadline, "tasks keep coming"
            if task.eta:
                wait = (datetime.fromisoformat(task.eta) - timezone.now()).total_seconds()
                time.sleep(max(wait, 0) + 0.05)
            tasks.deliver(task.ids)
            runs += 1
    return runs


def copies(server) -> Counter:
    """(recipient, Message-ID) → how many copies the server accepted."""
    return Counter((rcpt, m.message["Message-ID"]) for m in server.received for rcpt in m.rcpt_tos)


def test_a_recipient_refused_for_now_is_retried_alone_until_it_is_accepted(
    mail_settings, memory_broker
):
    server = mail_settings.server
    server.rcpt_replies = {"carl@contoso.test": [BUSY, BUSY]}  # accepted at the third try
    pk = make_row(mail_settings, cc=["carl@contoso.test"])

    run_queued(memory_broker)

    row = OutgoingMessage.objects.get(pk=pk)
    assert copies(server) == {
        ("ann@contoso.test", row.message_id): 1,
        ("carl@contoso.test", row.message_id): 1,
    }
    # Carl's copy is the same message: the same headers name both recipients.
    carls = [m.message for m in server.received if m.rcpt_tos == ["carl@contoso.test"]]
    assert [(m["To"], m["Cc"]) for m in carls] == [("ann@contoso.test", "carl@contoso.test")]
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert row.last_error == f"Refused recipients: carl@contoso.test: {BUSY} (retried on its own)"
    [follow_up] = row.follow_ups.all()
    assert (follow_up.status, follow_up.attempts) == (Status.SENT, 3)
    assert follow_up.envelope == "carl@contoso.test"
    [refusal] = RecipientRefusal.objects.filter(message=row)
    assert (refusal.address, refusal.reply, refusal.permanent) == ("carl@contoso.test", BUSY, False)


def test_a_recipient_refused_for_now_gets_its_own_attempts_and_then_is_given_up(
    mail_settings, memory_broker, settings
):
    settings.MAIL_MAX_ATTEMPTS = 3
    server = mail_settings.server
    server.rcpt_replies = {"carl@contoso.test": [BUSY] * 10}
    pk = make_row(mail_settings, cc=["carl@contoso.test"])

    run_queued(memory_broker)

    row = OutgoingMessage.objects.get(pk=pk)
    assert row.status == Status.SENT
    assert copies(server) == {("ann@contoso.test", row.message_id): 1}
    [follow_up] = row.follow_ups.all()
    assert (follow_up.status, follow_up.attempts) == (Status.DEAD, 3)
    assert "Gave up after 3 attempts" in follow_up.last_error
    assert "carl@contoso.test: 451 4.2.1" in follow_up.last_error
    assert AuditEntry.objects.filter(action="notification not delivered").count() == 1


def test_a_recipient_refused_for_good_is_recorded_and_shown_with_the_row(
    mail_settings, memory_broker, alice_client
):
    server = mail_settings.server
    server.rcpt_replies = {
        "gone@contoso.test": NO_SUCH_USER,
        "carl@contoso.test": [BUSY],
    }
    pk = make_row(mail_settings, cc=["gone@contoso.test", "carl@contoso.test"])

    run_queued(memory_broker)

    row = OutgoingMessage.objects.get(pk=pk)
    assert row.status == Status.SENT
    delivered = {rcpt for rcpt, _ in copies(server)}
    assert delivered == {"ann@contoso.test", "carl@contoso.test"}
    gone = RecipientRefusal.objects.get(message=row, address="gone@contoso.test")
    assert (gone.reply, gone.permanent) == (NO_SUCH_USER, True)
    [follow_up] = row.follow_ups.all()
    assert follow_up.envelope == "carl@contoso.test"  # only the 4xx is tried again

    page = alice_client.get(
        reverse("notifications:outbox", args=[mail_settings.store_id]), {"show": "all"}
    )
    text = " ".join(strip_tags(page.content.decode()).split())
    assert f"Not delivered to: gone@contoso.test — {NO_SUCH_USER}" in text
    assert (
        f"Refused for now, retried on its own: carl@contoso.test — {BUSY}: "
        f"message #{follow_up.pk}, Sent" in text
    )
    assert (
        f"Retry of message #{pk} for carl@contoso.test only; the other recipients received it."
        in text
    )


def test_the_outbox_page_reads_recipient_results_in_a_fixed_number_of_queries(
    mail_settings, memory_broker, alice_client
):
    """Two queries per page for every row's refusals and follow-ups, however many rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page = reverse("notifications:outbox", args=[mail_settings.store_id])

    def queries_with(rows: int) -> int:
        for _ in range(rows):
            mail_settings.server.rcpt_replies = {
                "gone@contoso.test": NO_SUCH_USER,
                "carl@contoso.test": [BUSY],
            }
            make_row(mail_settings, cc=["gone@contoso.test", "carl@contoso.test"])
            run_queued(memory_broker)
        with CaptureQueriesContext(connection) as captured:
            response = alice_client.get(page, {"show": "all"})
        assert response.status_code == 200
        return len(captured)

    one = queries_with(1)
    assert RecipientRefusal.objects.count() == 2
    assert queries_with(4) == one
    assert RecipientRefusal.objects.count() == 10
