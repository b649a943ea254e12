"""The whole path: an admin adds a member in the Admin Center; a real Celery worker over Redis
delivers the notifications to the aiosmtpd server over STARTTLS, signed in with the admin's own
credentials (the store uses no SMTP user authentication), to exactly the recipients the rules
name."""

import time
from collections import Counter

import pytest
from django.test import Client

from notifications.models import ActingTrust, OutgoingMessage
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for_outbox(count: int, worker, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = OutgoingMessage.objects.filter(status=OutgoingMessage.Status.SENT).count()
        if sent >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{sent} of {count} sent\n{worker.log()[-3000:]}")


def test_it_delivers_a_membership_change_made_in_the_ui(
    alice, contoso_mail, make_object, smtp_server, celery_worker
):
    server = smtp_server("starttls", users={"alice": PASSWORD}, auth_required=True)
    contoso_mail.port = server.port
    contoso_mail.ssl_enabled = True  # the admin's password goes over verified TLS only
    contoso_mail.to_recipients = "helpdesk@contoso.test"
    contoso_mail.notify_added_member = True
    contoso_mail.notify_group_owners = True
    contoso_mail.notify_modified_object = True
    contoso_mail.save()
    olga = make_object("user", "Olga", "olga@contoso.test")
    ann = make_object("user", "Ann", "ann@contoso.test")
    make_object("user", "Nomail")  # no address: skipped
    sales = make_object("group", "Sales", "sales@contoso.test", primary_owner=olga)
    sales.member_links.create(member=ann)
    make_object("contact", "Carl", "carl@partner.test")
    worker = celery_worker()

    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    # Alice trusts the server she saved (here: as if she had pressed Save on the page).
    ActingTrust.objects.create(
        user=alice, destination=f"127.0.0.1:{server.port}/ssl", decision="saved"
    )
    response = client.post(
        f"/identity-stores/{contoso_mail.store_id}/directory/{sales.pk}/",
        {"action": "add_member", "member-reference": "carl@partner.test"},
    )
    assert response.status_code == 302
    assert sales.member_links.count() == 2

    messages = OutgoingMessage.objects.count()
    wait_for_outbox(messages, worker)
    received = server.wait_for(messages)
    delivered = Counter(r for m in received for r in m.rcpt_tos)
    # To: the store's recipients; added member Carl; owner Olga; the group's members (Ann, Carl).
    assert delivered == {
        "helpdesk@contoso.test": 1,
        "carl@partner.test": 1,
        "olga@contoso.test": 1,
        "ann@contoso.test": 1,
    }
    assert {m.auth_user for m in received} == {"alice"}
    assert {m.message["Subject"] for m in received} == {"[Contoso AD] Member added: Sales"}
    assert all("Carl" in m.message.get_body(("plain",)).get_content() for m in received)
    assert not OutgoingMessage.objects.exclude(acting_credentials="").exists()
