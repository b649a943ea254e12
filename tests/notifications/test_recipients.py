"""Who is notified, box by box and event by event: exact recipient sets, negative cases included."""

import pytest

from directory import changes
from directory.changes import Actor
from directory.models import AdditionalManager, AdditionalOwner, GroupMembership, Route
from notifications.models import OutgoingMessage

BOXES = [
    "notify_actor",
    "notify_modified_object",
    "notify_group_owners",
    "notify_managers",
    "notify_added_member",
    "notify_removed_member",
    "notify_public_group_owners",
]


def bcc_of(store):
    """Every Bcc address over the store's outbox, asserting none is repeated."""
    found = []
    for message in OutgoingMessage.objects.filter(store=store):
        found += [a for a in message.bcc.split("; ") if a]
    assert len(found) == len(set(found)), f"repeated: {found}"
    return set(found)


def tick(settings, *boxes):
    for box in BOXES:
        setattr(settings, box, box in boxes)
    settings.save()


@pytest.fixture
def d(make_object):
    """A small directory: Sales (private) with a nested group that nests Sales back (a cycle),
    owners of every kind, a user with managers, and a public Club."""

    class D:
        ann = make_object("user", "Ann", "Ann@Contoso.test", language="en")
        ben = make_object("user", "Ben", "ben@contoso.test")
        cal = make_object("user", "Cal")  # no address
        dee = make_object("user", "Dee", "dee@contoso.test", mail_enabled=False)
        eve = make_object("user", "Eve", "eve@contoso.test")
        fay = make_object("user", "Fay", "fay@contoso.test")
        owen = make_object("user", "Owen", "owen@contoso.test")
        lia = make_object("user", "Lia", "lia@contoso.test")
        lee = make_object("user", "Lee", "lee@contoso.test")
        quinn = make_object("user", "Quinn", "quinn@contoso.test")
        pat = make_object("user", "Pat", "pat@contoso.test")
        carl = make_object("contact", "Carl", "carl@partner.test")
        sales = make_object(
            "group", "Sales", "sales@contoso.test", security_type="private", primary_owner=owen
        )
        emea = make_object("group", "EMEA", "emea@contoso.test", security_type="private")
        leads = make_object("group", "Leads", "", security_type="private")
        quiet = make_object("group", "Quiet", "", security_type="private")
        club = make_object("group", "Club", "club@contoso.test", security_type="public")

    for group, members in [
        (D.sales, [D.ann, D.carl, D.emea]),
        (D.emea, [D.ben, D.cal, D.dee, D.sales]),
        (D.leads, [D.lia, D.lee]),
        (D.quiet, [D.quinn]),
    ]:
        for member in members:
            GroupMembership.objects.create(
                group=group, member=member, member_is_group=member.is_group
            )
    AdditionalOwner.objects.create(group=D.sales, owner=D.leads)
    AdditionalOwner.objects.create(group=D.sales, owner=D.quiet, dont_notify=True)
    D.ann.primary_manager = D.eve
    D.ann.save()
    AdditionalManager.objects.create(user=D.ann, manager=D.fay)
    D.club.primary_owner = D.pat
    D.club.save()
    AdditionalOwner.objects.create(group=D.club, owner=D.quiet)
    return D


@pytest.fixture
def admin(alice):
    return Actor(alice)


# --- Nothing ticked, To/CC --------------------------------------------------------------------


def test_it_writes_no_message_when_no_box_is_ticked_and_no_address_given(
    contoso, contoso_mail, d, admin
):
    changes.update_attributes(d.ann, admin, name="Ann Smith")
    assert OutgoingMessage.objects.count() == 0


def test_it_writes_no_message_for_a_store_without_notification_settings(contoso, d, admin):
    changes.update_attributes(d.ann, admin, name="Ann Smith")
    assert OutgoingMessage.objects.count() == 0


def test_it_sends_every_change_to_to_and_cc_in_one_message_of_their_own(
    contoso, contoso_mail, d, admin
):
    contoso_mail.to_recipients = "audit@contoso.test; Ops@Contoso.test"
    contoso_mail.cc_recipients = "ops@contoso.test; boss@contoso.test"
    contoso_mail.save()
    changes.add_member(d.club, d.ben, admin)
    [message] = OutgoingMessage.objects.all()
    assert message.to == "audit@contoso.test; Ops@Contoso.test"
    assert message.cc == "boss@contoso.test"
    assert message.bcc == ""


def test_it_sends_life_cycle_changes_to_to_and_cc_too(contoso, contoso_mail, d):
    contoso_mail.to_recipients = "audit@contoso.test"
    contoso_mail.save()
    changes.add_member(d.club, d.ben, Actor(route=Route.LIFECYCLE))
    [message] = OutgoingMessage.objects.all()
    assert message.to == "audit@contoso.test"
    assert "Life-cycle schedule" in message.body_text


def test_it_leaves_an_address_already_in_to_out_of_bcc(contoso, contoso_mail, d, admin):
    contoso_mail.to_recipients = "ANN@contoso.test"
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.ann, admin, language="de")
    assert bcc_of(contoso) == set()
    assert OutgoingMessage.objects.get().to == "ANN@contoso.test"


# --- Logged in users for their actions ---------------------------------------------------------


def test_it_notifies_the_acting_admin_at_their_account_address(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_actor")
    changes.update_attributes(d.ben, admin, name="Benjamin")
    assert bcc_of(contoso) == {"alice@contoso.test"}


def test_it_skips_the_acting_admin_whose_directory_account_is_not_mail_enabled(
    contoso, contoso_mail, d, admin, make_object
):
    make_object("user", "Alice", "Alice@contoso.test", mail_enabled=False)
    tick(contoso_mail, "notify_actor")
    changes.update_attributes(d.ben, admin, name="Benjamin")
    assert bcc_of(contoso) == set()


def test_it_notifies_the_acting_admin_whose_directory_account_is_mail_enabled(
    contoso, contoso_mail, d, admin, make_object
):
    make_object("user", "Alice", "Alice@contoso.test")
    tick(contoso_mail, "notify_actor")
    changes.update_attributes(d.ben, admin, name="Benjamin")
    assert bcc_of(contoso) == {"alice@contoso.test"}


def test_it_notifies_no_actor_for_scheduled_changes(contoso, contoso_mail, d):
    tick(contoso_mail, *BOXES[:1])
    changes.add_member(d.club, d.ben, Actor(route=Route.LIFECYCLE))
    assert bcc_of(contoso) == set()


def test_it_notifies_the_actor_of_management_shell_changes(contoso, contoso_mail, d, alice):
    tick(contoso_mail, "notify_actor")
    changes.add_member(d.club, d.ben, Actor(alice, Route.MANAGEMENT_SHELL))
    assert bcc_of(contoso) == {"alice@contoso.test"}


def test_it_does_not_notify_the_actor_when_the_box_is_off(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.ben, admin, name="Benjamin")
    assert bcc_of(contoso) == {"ben@contoso.test"}


# --- Object being modified ---------------------------------------------------------------------


def test_it_notifies_the_modified_user(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.ann, admin, name="Ann Smith")
    assert bcc_of(contoso) == {"ann@contoso.test"}


def test_it_notifies_the_modified_contact(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.carl, admin, name="Carl Jr")
    assert bcc_of(contoso) == {"carl@partner.test"}


def test_it_skips_a_modified_user_without_an_address(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.cal, admin, name="Calvin")
    assert OutgoingMessage.objects.count() == 0


def test_it_notifies_all_members_of_a_modified_group_through_nested_groups_and_cycles(
    contoso, contoso_mail, d, admin
):
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.sales, admin, security_type="semi_private")
    # Ann, Carl direct; Ben via EMEA; Cal has no address; Dee is not mail-enabled; the groups'
    # own addresses are not used.
    assert bcc_of(contoso) == {"ann@contoso.test", "carl@partner.test", "ben@contoso.test"}


def test_it_counts_a_just_added_member_among_all_members(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.add_member(d.club, d.ben, admin)
    assert bcc_of(contoso) == {"ben@contoso.test"}


def test_it_does_not_count_a_just_removed_member_among_all_members(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.remove_member(d.sales, d.ann, admin)
    assert bcc_of(contoso) == {"carl@partner.test", "ben@contoso.test"}


# --- Group owner(s) for their groups -----------------------------------------------------------


def test_it_notifies_primary_and_additional_owners_expanding_owner_groups(
    contoso, contoso_mail, d, admin
):
    tick(contoso_mail, "notify_group_owners")
    changes.update_attributes(d.sales, admin, name="Sales EU")
    # Owen primary; Leads' members; Quiet is marked "Don't notify".
    assert bcc_of(contoso) == {"owen@contoso.test", "lia@contoso.test", "lee@contoso.test"}


def test_it_notifies_no_owner_for_a_change_to_a_user(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_group_owners")
    changes.update_attributes(d.owen, admin, name="Owen B")
    assert bcc_of(contoso) == set()


def test_it_notifies_the_new_primary_owner_not_the_replaced_one(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_group_owners")
    changes.set_primary_owner(d.sales, d.pat, admin)
    assert bcc_of(contoso) == {"pat@contoso.test", "lia@contoso.test", "lee@contoso.test"}


def test_it_notifies_a_newly_added_additional_owner(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_group_owners")
    changes.add_additional_owner(d.club, d.eve, admin)
    assert bcc_of(contoso) == {"pat@contoso.test", "eve@contoso.test", "quinn@contoso.test"}


def test_it_keeps_a_dont_notify_owner_out_of_owner_notifications(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_group_owners")
    changes.add_additional_owner(d.club, d.eve, admin, dont_notify=True)
    assert bcc_of(contoso) == {"pat@contoso.test", "quinn@contoso.test"}


# --- Manager(s) for their direct reports -------------------------------------------------------


def test_it_notifies_primary_and_additional_managers(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_managers")
    changes.update_attributes(d.ann, admin, name="Ann Smith")
    assert bcc_of(contoso) == {"eve@contoso.test", "fay@contoso.test"}


def test_it_notifies_the_new_primary_manager_on_a_manager_change(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_managers")
    changes.set_primary_manager(d.ann, d.pat, admin)
    assert bcc_of(contoso) == {"pat@contoso.test", "fay@contoso.test"}


def test_it_notifies_no_manager_of_a_user_without_managers(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_managers")
    changes.update_attributes(d.ben, admin, name="Benjamin")
    assert bcc_of(contoso) == set()


def test_it_notifies_no_manager_for_a_group_change(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_managers")
    changes.update_attributes(d.sales, admin, name="Sales EU")
    assert bcc_of(contoso) == set()


# --- Newly added / removed group member --------------------------------------------------------


def test_it_notifies_the_newly_added_member(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_added_member")
    changes.add_member(d.club, d.ann, admin)
    assert bcc_of(contoso) == {"ann@contoso.test"}


def test_it_notifies_the_members_of_a_newly_added_group(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_added_member")
    changes.add_member(d.club, d.emea, admin)
    # EMEA nests Sales, which nests EMEA again.
    assert bcc_of(contoso) == {"ben@contoso.test", "ann@contoso.test", "carl@partner.test"}


def test_it_does_not_notify_the_added_member_on_removal(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_added_member")
    changes.remove_member(d.sales, d.ann, admin)
    assert bcc_of(contoso) == set()


def test_it_notifies_the_removed_member(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_removed_member")
    changes.remove_member(d.sales, d.ann, admin)
    assert bcc_of(contoso) == {"ann@contoso.test"}


def test_it_does_not_notify_the_removed_member_on_addition(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_removed_member")
    changes.add_member(d.club, d.ann, admin)
    assert bcc_of(contoso) == set()


def test_it_skips_a_removed_member_that_is_not_mail_enabled(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_removed_member")
    changes.remove_member(d.emea, d.dee, admin)
    assert OutgoingMessage.objects.count() == 0


# --- Public group owner for membership ---------------------------------------------------------


def test_it_notifies_public_group_owners_on_membership_change(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_public_group_owners")
    changes.add_member(d.club, d.ben, admin)
    # Quiet (additional owner of Club) is not marked "Don't notify" there: Quinn is told.
    assert bcc_of(contoso) == {"pat@contoso.test", "quinn@contoso.test"}


def test_it_notifies_public_group_owners_on_removal(contoso, contoso_mail, d, admin):
    GroupMembership.objects.create(group=d.club, member=d.ben)
    tick(contoso_mail, "notify_public_group_owners")
    changes.remove_member(d.club, d.ben, admin)
    assert bcc_of(contoso) == {"pat@contoso.test", "quinn@contoso.test"}


def test_it_does_not_notify_private_group_owners_on_membership_change(
    contoso, contoso_mail, d, admin
):
    tick(contoso_mail, "notify_public_group_owners")
    changes.add_member(d.sales, d.ben, admin)
    assert bcc_of(contoso) == set()


def test_it_does_not_notify_public_group_owners_of_other_changes(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_public_group_owners")
    changes.update_attributes(d.club, admin, name="Book Club")
    assert bcc_of(contoso) == set()


# --- All together -------------------------------------------------------------------------------


def test_it_lists_each_address_once_with_every_box_ticked(
    contoso, contoso_mail, d, admin, make_object
):
    make_object("user", "Alice", "alice@CONTOSO.test")
    GroupMembership.objects.create(group=d.club, member=d.owen)
    tick(contoso_mail, *BOXES)
    changes.add_member(d.club, d.sales, admin)
    assert bcc_of(contoso) == {
        "alice@contoso.test",  # actor
        "owen@contoso.test",  # club member + via Sales
        "ann@contoso.test",
        "carl@partner.test",
        "ben@contoso.test",  # Sales (added) and its nested members
        "pat@contoso.test",
        "quinn@contoso.test",  # Club owners (owners + public owners boxes)
    }


def test_it_never_reaches_objects_of_another_store(
    contoso, contoso_mail, d, admin, fabrikam, make_object
):
    stranger = make_object("user", "Stranger", "stranger@fabrikam.test", store=fabrikam)
    GroupMembership.objects.create(group=d.club, member=stranger)
    tick(contoso_mail, "notify_modified_object")
    changes.update_attributes(d.club, admin, name="Book Club")
    assert bcc_of(contoso) == set()


# --- The remaining event types ------------------------------------------------------------------


def test_it_does_not_tell_a_removed_additional_owner_through_the_owner_box(
    contoso, contoso_mail, d, admin
):
    tick(contoso_mail, "notify_group_owners")
    changes.remove_additional_owner(d.sales, d.leads, admin)
    assert bcc_of(contoso) == {"owen@contoso.test"}


def test_it_notifies_the_managers_including_a_newly_added_one(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_managers")
    changes.add_additional_manager(d.ann, d.pat, admin)
    assert bcc_of(contoso) == {"eve@contoso.test", "fay@contoso.test", "pat@contoso.test"}


def test_it_notifies_the_remaining_managers_on_a_manager_removal(contoso, contoso_mail, d, admin):
    tick(contoso_mail, "notify_managers")
    changes.remove_additional_manager(d.ann, d.fay, admin)
    assert bcc_of(contoso) == {"eve@contoso.test"}


def test_it_notifies_a_created_object_when_the_object_box_is_ticked(contoso, contoso_mail, admin):
    tick(contoso_mail, "notify_modified_object")
    changes.create_object(contoso, admin, "contact", name="New", email="New@Partner.test")
    assert bcc_of(contoso) == {"new@partner.test"}
