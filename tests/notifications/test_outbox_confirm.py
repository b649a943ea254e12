"""Outbox Delete asks first and names what goes; Send and Delete with nothing selected warn."""

from django.contrib.messages import WARNING, get_messages

from identitystores.models import AuditEntry
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.confirm import read_confirmation
from tests.support.outbox import make_row

from .test_outbox_page import url

Status = OutgoingMessage.Status


def test_it_deletes_nothing_without_a_confirmation(alice_client, contoso_mail):
    first = make_row(contoso_mail, "First")
    second = make_row(contoso_mail, "Second")

    response = alice_client.post(
        url(contoso_mail.store, show="all", page=1),
        {"action": "delete", "message": [first, second]},
    )

    asked = read_confirmation(response)
    assert asked.question == "Delete 2 messages from the outbox?"
    assert asked.data == {
        "action": ["delete"],
        "message": [str(first), str(second)],
        "confirm": ["yes"],
    }
    assert asked.action == url(contoso_mail.store, show="all", page=1)
    assert asked.cancel_url == url(contoso_mail.store, show="all", page=1)
    assert OutgoingMessage.objects.count() == 2
    assert not AuditEntry.objects.exists()


def test_the_confirmation_page_deletes_when_submitted(alice_client, contoso_mail):
    doomed = make_row(contoso_mail, "Doomed")
    kept = make_row(contoso_mail, "Kept")
    asked = read_confirmation(
        alice_client.post(url(contoso_mail.store), {"action": "delete", "message": [doomed]})
    )
    assert asked.question == "Delete 1 message from the outbox?"

    response = alice_client.post(asked.action, asked.data, follow=True)

    assert "1 message deleted." in response.content.decode()
    # Deleted rows stay restorable for a while; only "kept" is still in the outbox.
    assert list(
        OutgoingMessage.objects.exclude(status=Status.DELETED).values_list("pk", flat=True)
    ) == [kept]
    assert AuditEntry.objects.get().action == "outbox: delete"


def test_it_counts_only_the_stores_own_messages_in_the_question(
    alice_client, contoso_mail, fabrikam
):
    other = NotificationSettings.objects.create(store=fabrikam, smtp_host="127.0.0.1")
    ours = make_row(contoso_mail, "Ours")
    theirs = make_row(other, "Theirs")

    asked = read_confirmation(
        alice_client.post(url(contoso_mail.store), {"action": "delete", "message": [ours, theirs]})
    )

    assert asked.question == "Delete 1 message from the outbox?"


def test_it_warns_when_the_selected_messages_are_gone(alice_client, contoso_mail):
    pk = make_row(contoso_mail, "Gone")
    OutgoingMessage.objects.filter(pk=pk).delete()

    response = alice_client.post(url(contoso_mail.store), {"action": "delete", "message": [pk]})

    assert response.status_code == 302
    [message] = get_messages(response.wsgi_request)
    assert (message.level, message.message) == (
        WARNING,
        "The selected messages are no longer in the outbox.",
    )


def test_send_and_delete_with_nothing_selected_warn_and_do_nothing(
    alice_client, contoso_mail, memory_broker
):
    make_row(contoso_mail, "Waiting", status=Status.DEAD)
    for action in ("send", "delete"):
        response = alice_client.post(
            url(contoso_mail.store), {"action": action, "confirm": "yes"}, follow=True
        )

        page = response.content.decode()
        assert f'message-warning">Nothing selected: tick the messages to {action} first.' in page
        # (the status filter names "Queued", so look for the success message itself)
        assert "message-success" not in page
    row = OutgoingMessage.objects.get()
    assert row.status == Status.DEAD
    assert not AuditEntry.objects.exists()
    assert memory_broker() == []


def test_send_of_messages_that_cannot_go_again_warns(alice_client, contoso_mail, memory_broker):
    sent = make_row(contoso_mail, "Delivered", status=Status.SENT)

    response = alice_client.post(
        url(contoso_mail.store, show="all"), {"action": "send", "message": [sent]}, follow=True
    )

    page = response.content.decode()
    assert 'message-warning">Nothing queued: the selected messages are sent or being sent.' in page
    assert "0 messages queued" not in page
    assert memory_broker() == []


def test_the_delete_button_carries_the_dialogs_question(alice_client, contoso_mail):
    make_row(contoso_mail, "Waiting")

    page = alice_client.get(url(contoso_mail.store)).content.decode()

    assert 'data-confirm="Delete {count} messages from the outbox?"' in page
    assert 'data-confirm-one="Delete 1 message from the outbox?"' in page
    assert 'data-confirm-count="#outbox-form input[name=message]:checked"' in page
    assert '<dialog id="confirm-dialog"' in page
