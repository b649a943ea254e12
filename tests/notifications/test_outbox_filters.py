"""Outbox search, filters and paging (django-filter + Django's paginator); bad input is
reported next to its field, never a 500; the page's query count does not grow with its rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutgoingMessage
from tests.support.outbox import make_row

Status = OutgoingMessage.Status


def get(client, store, **query):
    return client.get(reverse("notifications:outbox", args=[store.pk]), query)


def subjects(response) -> list[str]:
    return [m.subject for m in response.context["page"].object_list]


@pytest.fixture
def rows(contoso_mail):
    make_row(contoso_mail, "Ann joined Sales", status=Status.DEAD, minutes_ago=3 * 24 * 60)
    make_row(contoso_mail, "Ben left Sales", status=Status.SENT, minutes_ago=60)
    make_row(contoso_mail, "Carl joined Support", status=Status.RETRYING, minutes_ago=5)
    OutgoingMessage.objects.filter(subject="Carl joined Support").update(
        to="carl@contoso.test", bcc="owner@fabrikam.test"
    )
    return contoso_mail.store


def test_it_searches_subjects_and_recipients(alice_client, rows):
    assert subjects(get(alice_client, rows, show="all", q="sales")) == [
        "Ben left Sales",
        "Ann joined Sales",
    ]
    assert subjects(get(alice_client, rows, show="all", q="OWNER@fabrikam")) == [
        "Carl joined Support"
    ]
    assert subjects(get(alice_client, rows, show="all", q="nobody")) == []
    assert "No message matches the search." in get(alice_client, rows, q="nobody").content.decode()


def test_it_filters_by_status(alice_client, rows):
    assert subjects(get(alice_client, rows)) == ["Carl joined Support"]
    assert subjects(get(alice_client, rows, show="sent")) == ["Ben left Sales"]
    assert subjects(get(alice_client, rows, show="failed")) == ["Ann joined Sales"]
    assert len(subjects(get(alice_client, rows, show="all"))) == 3


def test_it_filters_by_date(alice_client, rows):
    today = timezone.localdate()
    two_days_ago = (today - timedelta(days=2)).isoformat()

    recent = get(alice_client, rows, show="all", since=two_days_ago)
    older = get(alice_client, rows, show="all", until=two_days_ago)

    assert subjects(recent) == ["Carl joined Support", "Ben left Sales"]
    assert subjects(older) == ["Ann joined Sales"]


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"since": "31/31/2026"}, "since", "Enter a valid date."),
        ({"until": "99999-01-01"}, "until", "Enter a valid date."),
        ({"show": "exploded"}, "show", "Select a valid choice."),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until", "Until must be on or after"),
        ({"q": "x" * 201}, "q", "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_filter_input_is_named_next_to_its_field(alice_client, rows, query, field, message):
    response = get(alice_client, rows, **{"show": "all", **query})

    assert response.status_code == 200
    page = response.content.decode()
    error = page.split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    # The list still shows, filtered by the fields that were valid.
    assert 'id="outbox-list"' in page


def test_it_pages_and_keeps_the_filters_in_the_links(alice_client, contoso_mail):
    for n in range(55):
        make_row(contoso_mail, f"Joined {n:02}", minutes_ago=n)
    make_row(contoso_mail, "Other", minutes_ago=100)

    first = get(alice_client, contoso_mail.store, q="joined")
    second = get(alice_client, contoso_mail.store, q="joined", page=2)

    assert len(subjects(first)) == 50
    assert subjects(second) == [f"Joined {n:02}" for n in range(50, 55)]
    assert "?q=joined&amp;page=2" in first.content.decode()
    assert "Page 2 of 2 (55 messages)" in second.content.decode()


def test_a_live_poll_gets_only_the_list(alice_client, rows):
    response = alice_client.get(
        reverse("notifications:outbox", args=[rows.pk]) + "?show=all&q=Carl",
        HTTP_HX_REQUEST="true",
        HTTP_X_LIVE_POLL="1",
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="outbox-list"')
    assert "Carl joined Support" in page
    assert "Ann joined Sales" not in page
    assert "<html" not in page


def test_the_query_count_does_not_grow_with_the_rows(alice_client, contoso_mail):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert get(alice_client, contoso_mail.store, show="all").status_code == 200
        return len(queries)

    make_row(contoso_mail, "One", status=Status.DEAD)
    few = count_queries()
    for n in range(60):
        make_row(contoso_mail, f"Row {n}", status=Status.RETRYING, next_attempt_at=timezone.now())

    assert count_queries() == few
