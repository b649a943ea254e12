"""Who would be notified? The reasons the resolver gives, previews that change nothing, life-cycle
notices, the record kept on outbox rows, and the page."""

from collections import Counter

import pytest
from django.urls import reverse

from directory import changes
from directory.changes import Actor
from directory.models import DirectoryEvent, GroupMembership, Route
from notifications.expansion import Recipient
from notifications.explain import explain_event, row_why
from notifications.explain_preview import explain_change, explain_notice
from notifications.models import OutgoingMessage
from notifications.provenance import PATHS_KEPT, record

from . import test_recipients

# The recipient tests' small directory (Sales, EMEA, Leads, Quiet, Club …) and acting admin.
d, admin, tick = test_recipients.d, test_recipients.admin, test_recipients.tick


def who(found):
    return {(line.name, line.rule, " › ".join(line.path)) for line in found.recipients}


def left(found):
    return {(line.name, line.reason, " › ".join(line.path)) for line in found.left_out}


def test_it_names_the_nested_owner_path_and_the_dont_notify_owner(contoso, contoso_mail, d, alice):
    tick(contoso_mail, "notify_group_owners")
    found = explain_change(contoso_mail, "updated", d.sales, None, alice)
    owners = "Group owner(s) for their groups"
    assert who(found) == {("Owen", owners, ""), ("Lia", owners, "Leads"), ("Lee", owners, "Leads")}
    assert left(found) == {("Quiet", "marked Don't notify as an additional owner", "")}


def test_it_says_why_members_of_nested_groups_get_nothing(contoso, contoso_mail, d, alice):
    tick(contoso_mail, "notify_modified_object")
    found = explain_change(contoso_mail, "updated", d.sales, None, alice)
    assert {r.address for r in found.recipients} == {
        "ann@contoso.test",
        "carl@partner.test",
        "ben@contoso.test",
    }
    assert ("Ben", "Object being modified", "Sales › EMEA") in who(found)
    assert left(found) == {
        ("Cal", "no email address", "Sales › EMEA"),
        ("Dee", "not mail-enabled", "Sales › EMEA"),
    }


def test_it_says_an_address_in_to_is_already_a_recipient(contoso, contoso_mail, d, alice):
    contoso_mail.to_recipients = "ANN@contoso.test"
    tick(contoso_mail, "notify_modified_object")
    found = explain_change(contoso_mail, "updated", d.ann, None, alice)
    assert found.to == ["ANN@contoso.test"] and found.recipient_count == 0
    [line] = found.left_out
    assert (line.name, line.reason, line.first) == (
        "Ann",
        "already a recipient",
        "To: of the store",
    )


def test_it_says_an_object_picked_by_two_boxes_is_told_once(contoso, contoso_mail, d, alice):
    tick(contoso_mail, "notify_group_owners", "notify_public_group_owners")
    found = explain_change(contoso_mail, "member_added", d.club, d.ben, alice)
    assert {line.name for line in found.recipients} == {"Pat", "Quinn"}
    assert {(line.name, line.rule, line.first) for line in found.left_out} == {
        ("Pat", "Public group owner for membership", "Group owner(s) for their groups"),
        ("Quiet", "Public group owner for membership", "Group owner(s) for their groups"),
    }


def test_it_says_owners_of_a_private_group_are_not_told_of_membership(
    contoso, contoso_mail, d, alice
):
    tick(contoso_mail, "notify_public_group_owners")
    found = explain_change(contoso_mail, "member_added", d.sales, d.ben, alice)
    assert found.nobody
    assert left(found) == {
        ("Owen", "the group is not public", ""),
        ("Leads", "the group is not public", ""),
    }


def test_it_says_a_schedule_has_no_signed_in_user(contoso, contoso_mail, d):
    tick(contoso_mail, "notify_actor")
    changes.add_member(d.club, d.ben, Actor(route=Route.LIFECYCLE))
    found = explain_event(DirectoryEvent.objects.get(), contoso_mail)
    assert found.nobody
    assert left(found) == {("Life-cycle schedule", "no signed-in user made this change", "")}


def test_it_explains_a_store_without_settings(contoso, d, alice):
    found = explain_change(None, "updated", d.ann, None, alice)
    assert found.nobody and "no notification settings" in found.notes[0]


# --- Previews change nothing and agree with the change made afterwards --------------------------


def test_a_previewed_addition_matches_the_real_one_and_leaves_no_trace(
    contoso, contoso_mail, d, alice
):
    tick(contoso_mail, "notify_modified_object", "notify_public_group_owners")
    found = explain_change(contoso_mail, "member_added", d.club, d.emea, alice)
    assert not GroupMembership.objects.filter(group=d.club, member=d.emea).exists()
    assert not DirectoryEvent.objects.exists() and not OutgoingMessage.objects.exists()

    changes.add_member(d.club, d.emea, Actor(alice))
    sent = {a for m in OutgoingMessage.objects.all() for a in m.bcc.split("; ") if a}
    assert (
        found.addresses
        == sent
        == {
            "ben@contoso.test",
            "ann@contoso.test",
            "carl@partner.test",
            "pat@contoso.test",
            "quinn@contoso.test",
        }
    )


def test_a_previewed_removal_reads_the_group_after_the_removal(contoso, contoso_mail, d, alice):
    tick(contoso_mail, "notify_modified_object")
    found = explain_change(contoso_mail, "member_removed", d.sales, d.ann, alice)
    assert found.addresses == {"carl@partner.test", "ben@contoso.test"}
    assert GroupMembership.objects.filter(group=d.sales, member=d.ann).exists()


def test_a_previewed_owner_change_names_the_new_owner(contoso, contoso_mail, d, alice):
    tick(contoso_mail, "notify_group_owners")
    found = explain_change(contoso_mail, "owner_set", d.sales, d.pat, alice)
    assert found.addresses == {"pat@contoso.test", "lia@contoso.test", "lee@contoso.test"}
    d.sales.refresh_from_db()
    assert d.sales.primary_owner == d.owen


# --- Life-cycle notices ----------------------------------------------------------------------


def test_a_notice_whose_option_is_off_goes_to_nobody(contoso, contoso_mail, d):
    found = explain_notice(contoso_mail, "ml_join", d.ann, None)
    assert found.nobody
    assert found.notes == [
        "Not sent: “On joining group” is not selected on the Notifications page."
    ]


def test_a_joining_notice_reaches_the_user_and_to_cc(contoso, contoso_mail, d):
    contoso_mail.ml_on_join = True
    contoso_mail.cc_recipients = "ops@contoso.test"
    found = explain_notice(contoso_mail, "ml_join", d.ann, None)
    assert found.cc == ["ops@contoso.test"]
    assert who(found) == {("Ann", "Named by the life-cycle notice", "")}


def test_a_managed_by_notice_reaches_the_holder_and_the_primary_owner(contoso, contoso_mail, d):
    contoso_mail.mb_on_added = True
    found = explain_notice(contoso_mail, "mb_added", d.leads, d.sales)
    assert found.addresses == {"lia@contoso.test", "lee@contoso.test", "owen@contoso.test"}
    assert ("Lia", "Named by the life-cycle notice", "Leads") in who(found)


def test_a_password_warning_is_personal_and_skips_users_without_mail(contoso, contoso_mail, d):
    contoso_mail.to_recipients = "audit@contoso.test"
    found = explain_notice(contoso_mail, "password", d.ann, None)
    assert found.to == [] and found.addresses == {"ann@contoso.test"}
    found = explain_notice(contoso_mail, "password", d.dee, None)
    assert found.nobody and left(found) == {("Dee", "not mail-enabled", "")}


# --- The record on outbox rows ----------------------------------------------------------------


def test_each_row_keeps_why_its_recipients_were_chosen(contoso, contoso_mail, d, admin):
    contoso_mail.to_recipients = "audit@contoso.test"
    tick(contoso_mail, "notify_group_owners")
    changes.update_attributes(d.sales, admin, name="Sales EU")
    to_row = OutgoingMessage.objects.get(to="audit@contoso.test")
    bcc_row = OutgoingMessage.objects.exclude(pk=to_row.pk).get()
    assert to_row.why == {"rules": {"to": 1}, "paths": [["to", [], 1]]}
    assert bcc_row.why["rules"] == {"owners": 3}
    shown = row_why(bcc_row)
    assert shown["why_rules"] == [("Group owner(s) for their groups", 3)]
    assert sorted(shown["why_paths"]) == [
        ("Group owner(s) for their groups", [], 1),
        ("Group owner(s) for their groups", ["Leads"], 2),
    ]


def test_the_record_is_capped_with_a_count_of_the_rest():
    recipients = [
        Recipient(f"u{i}@x.test", why=("modified", (1, 100 + i % 20))) for i in range(1000)
    ]
    kept = record(recipients)
    assert kept["rules"] == {"modified": 1000}
    assert len(kept["paths"]) == PATHS_KEPT
    assert sum(n for _, _, n in kept["paths"]) + kept["more"] == 1000
    assert Counter(tuple(p[1]) for p in kept["paths"]).most_common(1)[0][1] == 1


# --- The page ---------------------------------------------------------------------------------


@pytest.fixture
def explain_url(contoso):
    return reverse("notifications:explain", args=[contoso.pk])


def test_the_page_explains_a_nested_owner_and_a_dont_notify_owner(
    alice_client, contoso_mail, d, explain_url
):
    tick(contoso_mail, "notify_group_owners")
    page = alice_client.get(explain_url, {"object": "Sales", "event": "updated"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "<td>lia@contoso.test</td><td>Group owner(s) for their groups</td>" in text
    assert "Sales › " not in text and "<td>Leads</td>" in text
    assert "Marked Don&#x27;t notify as an additional owner" in text
    assert not GroupMembership.objects.filter(group=d.sales, member=d.ben).exists()


def test_the_page_says_what_is_wrong_next_to_the_field(alice_client, contoso_mail, d, explain_url):
    page = alice_client.get(explain_url, {"object": "Nobody", "event": "updated"})
    assert page.status_code == 200
    assert "No object of this store matches that." in page.content.decode()
    page = alice_client.get(explain_url, {"object": "Sales", "event": "member_added"})
    assert "Name the member added." in page.content.decode()
    page = alice_client.get(explain_url, {"object": "Ann", "event": "member_added", "other": "Ben"})
    assert "Ann is a user: this event needs a group." in page.content.decode()
    page = alice_client.get(explain_url, {"object": "Sales", "event": "no-such-event"})
    assert "Select a valid choice." in page.content.decode()


def test_the_page_of_another_store_is_not_found(client, bob, contoso, explain_url):
    client.force_login(bob)
    assert client.get(explain_url, {"object": "#1", "event": "updated"}).status_code == 404


def test_the_directory_object_page_links_to_the_explanation(alice_client, contoso, d, explain_url):
    page = alice_client.get(reverse("directory:object", args=[contoso.pk, d.sales.pk]))
    assert f'href="{explain_url}?object=%23{d.sales.pk}"' in page.content.decode()
    form = alice_client.get(explain_url, {"object": f"#{d.sales.pk}"}).content.decode()
    assert f'value="#{d.sales.pk}"' in form and "Nobody" not in form


def test_the_outbox_row_page_shows_why(alice_client, contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_group_owners")
    changes.update_attributes(d.sales, admin, name="Sales EU")
    row = contoso.outbox.get(why__rules__has_key="owners")
    page = alice_client.get(reverse("notifications:outbox_row", args=[contoso.pk, row.pk]))
    text = page.content.decode()
    assert ">Why these recipients</h2>" in text
    assert "Group owner(s) for their groups › Leads: 2" in text


def test_it_says_the_acting_admin_in_to_is_already_a_recipient(contoso, contoso_mail, d, alice):
    contoso_mail.to_recipients = "Alice@Contoso.test"
    tick(contoso_mail, "notify_actor")
    found = explain_change(contoso_mail, "updated", d.ben, None, alice)
    assert found.recipient_count == 0
    [line] = found.left_out
    assert (line.address, line.rule, line.reason, line.first) == (
        "alice@contoso.test",
        "Logged in users for their actions",
        "already a recipient",
        "To: of the store",
    )
