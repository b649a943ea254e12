"""The Outbox page of a store: filters, columns, Send and Delete, history, role isolation."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from identitystores.models import AuditEntry
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.outbox import make_row

Status = OutgoingMessage.Status


def url(store, **query):
    base = reverse("notifications:outbox", args=[store.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def subjects(response):
    return [m.subject for m in response.context["page"].object_list]


@pytest.fixture
def fabrikam_mail(fabrikam):
    return NotificationSettings.objects.create(
        store=fabrikam, smtp_host="127.0.0.1", from_email="it@fabrikam.test"
    )


def test_it_shows_pending_messages_newest_first(alice_client, contoso_mail):
    make_row(contoso_mail, "Older", minutes_ago=10)
    make_row(
        contoso_mail,
        "Retrying",
        status=Status.RETRYING,
        minutes_ago=5,
        attempts=2,
        last_error="451 4.3.0 Mailbox busy",
        last_attempt_at=timezone.now(),
    )
    make_row(contoso_mail, "Delivered", status=Status.SENT)
    make_row(contoso_mail, "Failed", status=Status.DEAD)

    response = alice_client.get(url(contoso_mail.store))

    assert response.status_code == 200
    assert subjects(response) == ["Retrying", "Older"]
    page = response.content.decode()
    for column in [
        "Subject",
        "Date",
        "To",
        "From",
        "CC",
        "Last Retry",
        "Retry Count",
        "In Progress",
        "Last Error",
    ]:
        assert f'<th scope="col">{column}</th>' in page
    assert "ann@contoso.test" in page
    assert "directory@contoso.test" in page
    assert "audit@contoso.test" in page
    assert "451 4.3.0 Mailbox busy" in page


def test_it_filters_failed_and_all(alice_client, contoso_mail):
    make_row(contoso_mail, "Waiting")
    make_row(contoso_mail, "Delivered", status=Status.SENT, minutes_ago=1)
    make_row(contoso_mail, "Failed", status=Status.DEAD, minutes_ago=2)

    assert subjects(alice_client.get(url(contoso_mail.store, show="failed"))) == ["Failed"]
    all_rows = subjects(alice_client.get(url(contoso_mail.store, show="all")))
    assert all_rows == ["Waiting", "Delivered", "Failed"]


def test_it_marks_messages_being_sent_as_in_progress(alice_client, contoso_mail):
    make_row(contoso_mail, "Busy", status=Status.SENDING)

    page = alice_client.get(url(contoso_mail.store)).content.decode()

    assert '<span class="badge warn">Yes</span>' in page


def test_it_pages_through_many_messages(alice_client, contoso_mail):
    for i in range(55):
        make_row(contoso_mail, f"Message {i:02}", minutes_ago=i)

    first = alice_client.get(url(contoso_mail.store))
    second = alice_client.get(url(contoso_mail.store, page=2))

    assert len(subjects(first)) == 50
    assert subjects(second) == [f"Message {i}" for i in range(50, 55)]
    assert "Page 2 of 2 (55 messages)" in second.content.decode()


def test_it_shows_only_the_stores_own_messages(alice_client, contoso_mail, fabrikam_mail):
    make_row(contoso_mail, "Contoso notice")
    make_row(fabrikam_mail, "Fabrikam notice")

    assert subjects(alice_client.get(url(contoso_mail.store))) == ["Contoso notice"]


def test_send_queues_failed_messages_again_and_records_it(
    alice_client, alice, contoso_mail, memory_broker, django_capture_on_commit_callbacks
):
    dead = make_row(contoso_mail, "Failed", status=Status.DEAD, attempts=8)
    sent = make_row(contoso_mail, "Delivered", status=Status.SENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            url(contoso_mail.store, show="failed"),
            {"action": "send", "message": [dead, sent]},
            follow=True,
        )

    assert "1 message queued to be sent now." in response.content.decode()
    assert response.redirect_chain[-1][0] == url(contoso_mail.store, show="failed")
    row = OutgoingMessage.objects.get(pk=dead)
    assert (row.status, row.attempts) == (Status.QUEUED, 8)
    assert row.next_attempt_at is not None
    assert OutgoingMessage.objects.get(pk=sent).status == Status.SENT
    [published] = memory_broker()
    assert published.ids == [dead]
    entry = AuditEntry.objects.get(store=contoso_mail.store)
    assert (entry.actor, entry.action, entry.field) == (alice, "outbox: send now", "Failed")
    assert (entry.old_value, entry.new_value) == ("Failed", "Queued")


def test_delete_removes_the_selected_messages_and_records_it(alice_client, alice, contoso_mail):
    first = make_row(contoso_mail, "First")
    second = make_row(contoso_mail, "Second")
    kept = make_row(contoso_mail, "Kept")

    response = alice_client.post(
        url(contoso_mail.store), {"action": "delete", "message": [first, second], "confirm": "yes"}
    )

    assert response.status_code == 302
    # Deleted rows stay restorable for a while; only "kept" is still in the outbox.
    assert list(
        OutgoingMessage.objects.exclude(status=Status.DELETED).values_list("pk", flat=True)
    ) == [kept]
    entries = AuditEntry.objects.filter(store=contoso_mail.store, action="outbox: delete")
    assert sorted(e.field for e in entries) == ["First", "Second"]
    assert {e.actor for e in entries} == {alice}


def test_it_ignores_ids_of_another_stores_messages(alice_client, contoso_mail, fabrikam_mail):
    theirs = make_row(fabrikam_mail, "Fabrikam notice", status=Status.DEAD)

    alice_client.post(
        url(contoso_mail.store), {"action": "delete", "message": [theirs], "confirm": "yes"}
    )
    alice_client.post(url(contoso_mail.store), {"action": "send", "message": [theirs]})

    assert OutgoingMessage.objects.get(pk=theirs).status == Status.DEAD
    assert not AuditEntry.objects.exists()


def test_bob_gets_404_for_contosos_outbox_and_its_actions(client, bob, contoso_mail):
    pk = make_row(contoso_mail, "Contoso notice", status=Status.DEAD)
    client.force_login(bob)

    assert client.get(url(contoso_mail.store)).status_code == 404
    for action in ("send", "delete"):
        data = {"action": action, "message": [pk], "confirm": "yes"}
        assert client.post(url(contoso_mail.store), data).status_code == 404
    assert OutgoingMessage.objects.get(pk=pk).status == Status.DEAD
    assert not AuditEntry.objects.exists()


def test_root_sees_every_stores_outbox(client, root, contoso_mail):
    make_row(contoso_mail, "Contoso notice")
    client.force_login(root)

    assert subjects(client.get(url(contoso_mail.store))) == ["Contoso notice"]


def test_it_sends_anonymous_visitors_to_sign_in(client, contoso_mail):
    response = client.get(url(contoso_mail.store))

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_actions_need_the_csrf_token(alice, contoso_mail):
    pk = make_row(contoso_mail, "Contoso notice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    data = {"action": "delete", "message": [pk], "confirm": "yes"}
    response = client.post(url(contoso_mail.store), data)

    assert response.status_code == 403
    assert OutgoingMessage.objects.filter(pk=pk).exists()


def test_the_page_carries_a_csrf_token_and_both_buttons(alice_client, contoso_mail):
    make_row(contoso_mail, "Contoso notice")

    page = alice_client.get(url(contoso_mail.store)).content.decode()

    assert 'name="csrfmiddlewaretoken"' in page
    assert '<button type="submit" name="action" value="send" class="primary">Send</button>' in page
    assert '<button type="submit" name="action" value="delete" class="danger" data-confirm=' in page
