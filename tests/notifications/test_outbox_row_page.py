"""An outbox row's own page: recipients, headers, the message (HTML never run), attempts and
errors; another store's admin gets a 404; a live poll gets only the changing part."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from identitystores.models import StoreRole
from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message
from tests.conftest import PASSWORD

Status = OutgoingMessage.Status


def row_url(row) -> str:
    return reverse("notifications:outbox_row", args=[row.store_id, row.pk])


def make_full_row(settings, **fields) -> OutgoingMessage:
    [row] = enqueue(
        [
            new_message(
                settings.store,
                settings,
                subject="Ann joined Sales",
                body_text="Ann was added to Sales.",
                body_html='<p>Ann was added</p><script>alert("x")</script>',
                to=["ann@contoso.test", "ben@contoso.test"],
                cc=["audit@contoso.test"],
                bcc=["owner1@contoso.test", "owner2@contoso.test"],
            )
        ]
    )
    OutgoingMessage.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


def test_it_shows_every_recipient_the_headers_and_the_message(alice_client, contoso_mail):
    row = make_full_row(contoso_mail)

    response = alice_client.get(row_url(row))

    assert response.status_code == 200
    page = response.content.decode()
    for address in (
        "ann@contoso.test",
        "ben@contoso.test",
        "audit@contoso.test",
        "owner1@contoso.test",
        "owner2@contoso.test",
    ):
        assert f"<li>{address}</li>" in page
    assert f"<td>{row.message_id.replace('<', '&lt;').replace('>', '&gt;')}</td>" in page
    assert "<td>directory@contoso.test</td>" in page
    assert '<pre class="mail-text">Ann was added to Sales.</pre>' in page
    # The HTML part goes into a sandboxed iframe, escaped into srcdoc: it is shown, never run.
    assert 'sandbox=""' in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_it_shows_attempts_next_retry_and_the_error(alice_client, contoso_mail):
    now = timezone.now().replace(microsecond=0)
    row = make_full_row(
        contoso_mail,
        status=Status.RETRYING,
        attempts=3,
        last_attempt_at=now - timedelta(minutes=2),
        next_attempt_at=now + timedelta(minutes=4),
        last_error="451 4.3.0 Mailbox busy, try later",
        server_reply="451 4.3.0 Mailbox busy",
    )

    page = alice_client.get(row_url(row)).content.decode()

    assert "<dt>Attempts</dt><dd>3</dd>" in page
    next_at = timezone.localtime(now + timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S")
    last_at = timezone.localtime(now - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
    assert f"<dt>Next attempt</dt><dd>{next_at}</dd>" in page
    assert f"<dt>Last attempt</dt><dd>{last_at}</dd>" in page
    assert "451 4.3.0 Mailbox busy, try later" in page
    assert "<code>451 4.3.0 Mailbox busy</code>" in page


def test_it_never_shows_the_acting_admins_credentials(alice_client, contoso_mail):
    row = make_full_row(contoso_mail)
    row.acting_credentials = "alice:s3cret-Password!"
    row.save(update_fields=["acting_credentials"])

    page = alice_client.get(row_url(row)).content.decode()

    assert "s3cret-Password!" not in page
    assert "Sent with the sign-in of the admin who made the change" in page


def test_another_stores_admin_gets_404(client, contoso_mail, fabrikam):
    row = make_full_row(contoso_mail)
    bob = get_user_model().objects.create_user("bob", "bob@fabrikam.test", PASSWORD)
    StoreRole.objects.create(user=bob, store=fabrikam)
    client.force_login(bob)

    assert client.get(row_url(row)).status_code == 404
    # Nor through the URL of a store Bob manages.
    url = reverse("notifications:outbox_row", args=[fabrikam.pk, row.pk])
    assert client.get(url).status_code == 404


def test_a_live_poll_gets_only_the_delivery_part(alice_client, contoso_mail):
    row = make_full_row(contoso_mail, status=Status.DEAD, last_error="550 No such user")

    response = alice_client.get(row_url(row), HTTP_HX_REQUEST="true", HTTP_X_LIVE_POLL="1")

    page = response.content.decode()
    assert 'id="row-live"' in page
    assert "550 No such user" in page
    assert "<html" not in page
    assert "Text part" not in page


def test_a_sent_row_stops_polling(alice_client, contoso_mail):
    row = make_full_row(contoso_mail, status=Status.SENT, sent_at=timezone.now())

    page = alice_client.get(row_url(row)).content.decode()

    assert 'id="row-live"' in page
    assert "hx-trigger" not in page


def test_the_outbox_links_each_row_to_its_page(alice_client, contoso_mail):
    row = make_full_row(contoso_mail)

    page = alice_client.get(reverse("notifications:outbox", args=[row.store_id])).content.decode()

    assert f'href="{row_url(row)}"' in page


def test_the_outbox_says_when_a_retrying_message_is_tried_next(alice_client, contoso_mail):
    next_at = timezone.now().replace(microsecond=0) + timedelta(minutes=7)
    row = make_full_row(contoso_mail, status=Status.RETRYING, attempts=1, next_attempt_at=next_at)

    page = alice_client.get(reverse("notifications:outbox", args=[row.store_id])).content.decode()

    shown = timezone.localtime(next_at).strftime("%Y-%m-%d %H:%M:%S")
    assert f'<span class="next-attempt">next attempt {shown}</span>' in page
