"""Mailbox search and filters: subject or recipient, store (only the admin's own), date range;
bad input is named next to its field; Empty mailbox still names every message it deletes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catcher.models import CaughtMessage


@pytest.fixture
def mail(settings, contoso, fabrikam):
    settings.MAILBOX_ENABLED = True

    def caught(subject, to, store, days_ago=0):
        row = CaughtMessage.objects.create(
            subject=subject, to_header=to, envelope_to=to, raw=b"x", store=store
        )
        received = timezone.now() - timedelta(days=days_ago)
        CaughtMessage.objects.filter(pk=row.pk).update(received=received)

    caught("Ann joined Sales", "ann@contoso.test", contoso, days_ago=5)
    caught("Ben left Sales", "ben@contoso.test", contoso)
    caught("Fabrikam secrets", "it@fabrikam.test", fabrikam)
    return contoso, fabrikam


def subjects(client, **query) -> list[str]:
    response = client.get(reverse("catcher:mailbox"), query)
    assert response.status_code == 200
    return [m.subject for m in response.context["page"].object_list]


def test_it_searches_subject_and_recipient(alice_client, mail):
    assert subjects(alice_client, q="sales") == ["Ben left Sales", "Ann joined Sales"]
    assert subjects(alice_client, q="ANN@") == ["Ann joined Sales"]
    # Never another store's mail, whatever the search.
    assert subjects(alice_client, q="fabrikam") == []


def test_it_filters_by_store_and_date(client, root, mail):
    contoso, fabrikam = mail
    client.force_login(root)
    three_days_ago = (timezone.localdate() - timedelta(days=3)).isoformat()

    assert subjects(client, store=fabrikam.pk) == ["Fabrikam secrets"]
    assert subjects(client, store=contoso.pk, since=three_days_ago) == ["Ben left Sales"]
    assert subjects(client, until=three_days_ago) == ["Ann joined Sales"]


def test_another_stores_id_is_not_a_valid_choice(alice_client, mail):
    _, fabrikam = mail

    response = alice_client.get(reverse("catcher:mailbox"), {"store": fabrikam.pk})

    page = response.content.decode()
    assert 'id="id_store_error">Select a valid choice.' in page
    assert "Fabrikam secrets" not in page
    assert subjects(alice_client, store="99999999999999999999999") == [
        "Ben left Sales",
        "Ann joined Sales",
    ]


def test_empty_mailbox_names_every_message_not_just_the_filtered(alice_client, mail):
    page = alice_client.get(reverse("catcher:mailbox"), {"q": "Ben"}).content.decode()

    assert 'data-confirm="Delete 2 messages from the mailbox?"' in page


def test_a_live_poll_gets_only_the_list(alice_client, mail):
    response = alice_client.get(
        reverse("catcher:mailbox") + "?q=Ben", HTTP_HX_REQUEST="true", HTTP_X_LIVE_POLL="1"
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="mailbox-list"')
    assert "Ben left Sales" in page and "Ann joined Sales" not in page
    assert "<html" not in page
