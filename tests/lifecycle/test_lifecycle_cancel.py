"""Cancelling a scheduled temporary change: asked first, recorded in History, refused once the
change has started, and only in the admin's own store."""

from datetime import date

import pytest
from django.urls import reverse

from identitystores.models import AuditEntry
from lifecycle.models import State, TemporaryManagedBy, TemporaryMembership


@pytest.fixture
def membership(contoso, make_object):
    return TemporaryMembership.objects.create(
        store=contoso,
        group=make_object("group", "Club", security_type="public"),
        user=make_object("user", "Ann", "ann@contoso.test"),
        start_date=date(2030, 3, 2),
        end_date=date(2030, 4, 1),
    )


def cancel_url(item, name="lifecycle:temporary_membership_cancel"):
    return reverse(name, args=[item.store_id, item.pk])


def test_it_asks_before_cancelling(alice_client, membership):
    page = alice_client.post(cancel_url(membership)).content.decode()
    assert "Cancel the temporary membership “Ann &lt;ann@contoso.test&gt; · Join" in page
    assert 'name="confirm" value="yes"' in page
    membership.refresh_from_db()
    assert membership.state == State.SCHEDULED


def test_it_cancels_and_records_who_did(alice_client, alice, membership):
    response = alice_client.post(cancel_url(membership), {"confirm": "yes"}, follow=True)
    membership.refresh_from_db()
    assert membership.state == State.CANCELLED
    assert "Cancelled: Ann" in response.content.decode()
    entry = AuditEntry.objects.get(action="lifecycle.temporary_membership cancelled")
    assert entry.actor == alice and "Club" in entry.old_value


def test_the_list_offers_cancel_only_for_scheduled_rows(alice_client, contoso, membership):
    url = reverse("lifecycle:temporary_memberships", args=[contoso.pk])
    assert cancel_url(membership) in alice_client.get(url).content.decode()
    TemporaryMembership.objects.filter(pk=membership.pk).update(state=State.ACTIVE)
    assert cancel_url(membership) not in alice_client.get(url).content.decode()


def test_it_refuses_a_change_already_in_effect(alice_client, membership):
    TemporaryMembership.objects.filter(pk=membership.pk).update(state=State.ACTIVE)
    response = alice_client.post(cancel_url(membership), {"confirm": "yes"}, follow=True)
    assert "is no longer scheduled (it is in effect)" in response.content.decode()
    membership.refresh_from_db()
    assert membership.state == State.ACTIVE
    assert not AuditEntry.objects.filter(action__endswith="cancelled").exists()


def test_it_cancels_a_temporary_manager(alice_client, contoso, make_object):
    item = TemporaryManagedBy.objects.create(
        store=contoso,
        role="manager",
        target=make_object("user", "Ann", "ann@contoso.test"),
        holder=make_object("user", "Tom", "tom@contoso.test"),
        start_date=date(2030, 3, 2),
        end_date=date(2030, 3, 9),
    )
    url = cancel_url(item, "lifecycle:temporary_managed_by_cancel")
    alice_client.post(url, {"confirm": "yes"})
    item.refresh_from_db()
    assert item.state == State.CANCELLED


def test_it_hides_other_stores_changes(client, bob, membership):
    client.force_login(bob)
    assert client.post(cancel_url(membership), {"confirm": "yes"}).status_code == 404
    membership.refresh_from_db()
    assert membership.state == State.SCHEDULED


def test_it_refuses_get(alice_client, membership):
    assert alice_client.get(cancel_url(membership)).status_code == 405


def test_title_and_navigation_agree(alice_client, contoso):
    page = alice_client.get(reverse("lifecycle:temporary_memberships", args=[contoso.pk]))
    html = page.content.decode()
    assert "<h1>Temporary changes</h1>" in html and ">Temporary changes</a>" in html
    assert "<title>Temporary changes · Temporary memberships" in html


def test_the_schedule_leaves_a_cancelled_membership_alone(
    alice_client, contoso, contoso_mail, membership
):
    from directory.models import GroupMembership
    from lifecycle.jobs import MEMBERSHIP, run_job
    from notifications.models import OutgoingMessage
    from tests.support.lifecycle_helpers import at

    contoso_mail.ml_on_join = True
    contoso_mail.save()
    alice_client.post(cancel_url(membership), {"confirm": "yes"})
    run_job(contoso, MEMBERSHIP, now=at(2030, 3, 2))
    membership.refresh_from_db()
    assert membership.state == State.CANCELLED
    assert not GroupMembership.objects.filter(group=membership.group).exists()
    assert not OutgoingMessage.objects.filter(store=contoso).exists()
