"""Deleted outbox messages can be restored for OUTBOX_RESTORE_HOURS: an Undo button right after
Delete, a Restore action under "Deleted"; the sweeper purges them afterwards."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from identitystores.models import AuditEntry
from notifications.delivery import purge_deleted
from notifications.models import OutgoingMessage
from tests.support.outbox import make_row

Status = OutgoingMessage.Status


def outbox(store, query: str = "") -> str:
    return reverse("notifications:outbox", args=[store.pk]) + query


def delete(client, store, ids):
    return client.post(
        outbox(store, "?show=all"), {"action": "delete", "message": ids, "confirm": "yes"}
    )


def test_undo_right_after_delete_brings_the_messages_back(
    alice_client, contoso_mail, memory_broker, django_capture_on_commit_callbacks
):
    waiting = make_row(contoso_mail, "Waiting", status=Status.RETRYING, attempts=2)
    failed = make_row(contoso_mail, "Failed", status=Status.DEAD)
    memory_broker()
    store = contoso_mail.store

    response = delete(alice_client, store, [waiting, failed])
    page = alice_client.get(response.url).content.decode()

    assert "2 messages deleted." in page
    assert "Undo delete" in page
    assert page.count('<input type="hidden" name="message"') == 2
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {Status.DELETED}

    with django_capture_on_commit_callbacks(execute=True):
        restored = alice_client.post(
            outbox(store, "?show=all"),
            {"action": "restore", "message": [waiting, failed]},
            follow=True,
        )

    assert "2 messages restored." in restored.content.decode()
    rows = {row.subject: row for row in OutgoingMessage.objects.all()}
    assert rows["Waiting"].status == Status.RETRYING
    assert rows["Waiting"].attempts == 2
    assert rows["Failed"].status == Status.DEAD
    assert rows["Waiting"].deleted_at is None
    # The waiting message goes back to the workers at once; the failed one waits for Send.
    assert [published.ids for published in memory_broker()] == [[waiting]]
    assert AuditEntry.objects.filter(action="outbox: restore").count() == 2


def test_deleted_messages_are_listed_under_deleted_only(alice_client, contoso_mail):
    gone = make_row(contoso_mail, "Gone")
    make_row(contoso_mail, "Here")
    delete(alice_client, contoso_mail.store, [gone])

    def listed(query):
        response = alice_client.get(outbox(contoso_mail.store, query))
        return [m.subject for m in response.context["page"].object_list]

    assert listed("?show=all") == ["Here"]
    assert listed("") == ["Here"]
    assert listed("?show=deleted") == ["Gone"]
    page = alice_client.get(outbox(contoso_mail.store, "?show=deleted")).content.decode()
    assert 'value="restore"' in page
    assert 'value="delete"' not in page


def test_past_the_window_nothing_is_restored_and_the_sweeper_purges(alice_client, contoso_mail):
    old = make_row(contoso_mail, "Old")
    delete(alice_client, contoso_mail.store, [old])
    OutgoingMessage.objects.filter(pk=old).update(deleted_at=timezone.now() - timedelta(hours=25))

    response = alice_client.post(
        outbox(contoso_mail.store), {"action": "restore", "message": [old]}, follow=True
    )

    assert "Nothing restored: deleted messages can be restored for 24 hours." in (
        response.content.decode()
    )
    assert OutgoingMessage.objects.get(pk=old).status == Status.DELETED
    assert purge_deleted() == 1
    assert not OutgoingMessage.objects.exists()


def test_the_sweeper_keeps_recently_deleted_messages(alice_client, contoso_mail):
    recent = make_row(contoso_mail, "Recent")
    delete(alice_client, contoso_mail.store, [recent])

    assert purge_deleted() == 0
    assert OutgoingMessage.objects.get(pk=recent).status == Status.DELETED


def test_a_message_being_sent_is_removed_not_kept(alice_client, contoso_mail):
    busy = make_row(contoso_mail, "Busy", status=Status.SENDING)

    delete(alice_client, contoso_mail.store, [busy])

    assert not OutgoingMessage.objects.exists()


def test_another_stores_admin_cannot_restore(client, bob, contoso_mail, alice_client):
    gone = make_row(contoso_mail, "Gone")
    delete(alice_client, contoso_mail.store, [gone])
    client.force_login(bob)

    response = client.post(outbox(contoso_mail.store), {"action": "restore", "message": [gone]})

    assert response.status_code == 404
    assert OutgoingMessage.objects.get(pk=gone).status == Status.DELETED


def test_a_deleted_messages_page_offers_restore(alice_client, contoso_mail):
    gone = make_row(contoso_mail, "Gone")
    delete(alice_client, contoso_mail.store, [gone])
    row_url = reverse("notifications:outbox_row", args=[contoso_mail.store.pk, gone])

    page = alice_client.get(row_url).content.decode()
    assert "It can be restored for 24 hours" in page
    form = page.split('class="actions">', 1)[1].split("</form>", 1)[0]
    assert f'name="message" value="{gone}"' in form

    alice_client.post(
        outbox(contoso_mail.store, "?show=deleted"), {"action": "restore", "message": [gone]}
    )

    assert OutgoingMessage.objects.get(pk=gone).status == Status.QUEUED
    assert "It can be restored" not in alice_client.get(row_url).content.decode()
