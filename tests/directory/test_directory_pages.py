"""Directory pages: browse, search, edit attributes, members, owners, managers."""

import pytest
from django.test import Client

from directory.models import AdditionalManager, AdditionalOwner, DirectoryEvent, GroupMembership
from notifications.models import OutgoingMessage
from tests.support.confirm import read_confirmation


@pytest.fixture
def people(make_object):
    class P:
        ann = make_object("user", "Ann", "ann@contoso.test")
        ben = make_object("user", "Ben", "ben@contoso.test")
        carl = make_object("contact", "Carl", "carl@partner.test")
        sales = make_object("group", "Sales", "sales@contoso.test", security_type="public")

    return P


def url(store, obj=None):
    base = f"/identity-stores/{store.pk}/directory/"
    return f"{base}{obj.pk}/" if obj else base


def test_it_lists_and_searches_the_store_objects(alice_client, contoso, people):
    page = alice_client.get(url(contoso)).content.decode()
    assert "Ann" in page and "Sales" in page and "carl@partner.test" in page
    page = alice_client.get(url(contoso), {"q": "partner"}).content.decode()
    assert "Carl" in page and "Ann" not in page
    page = alice_client.get(url(contoso), {"kind": "group"}).content.decode()
    assert "Sales" in page and "Ben" not in page


def test_it_shows_the_directory_link_in_the_store_navigation(alice_client, contoso, people):
    page = alice_client.get(url(contoso, people.ann)).content.decode()
    assert f'href="{url(contoso)}" aria-current="page">Directory</a>' in page


def test_it_answers_404_to_an_admin_without_a_role_on_the_store(client, bob, contoso, people):
    client.force_login(bob)
    assert client.get(url(contoso)).status_code == 404
    assert client.get(url(contoso, people.ann)).status_code == 404
    response = client.post(
        url(contoso, people.sales), {"action": "add_member", "member-reference": "ann@contoso.test"}
    )
    assert response.status_code == 404
    assert not GroupMembership.objects.exists()


def test_it_answers_404_for_an_object_of_another_store(
    alice_client, contoso, fabrikam, make_object
):
    other = make_object("user", "Other", "other@fabrikam.test", store=fabrikam)
    assert alice_client.get(url(contoso, other)).status_code == 404


def test_it_edits_attributes_and_notifies(alice_client, contoso, contoso_mail, people):
    contoso_mail.notify_modified_object = True
    contoso_mail.save()
    response = alice_client.post(
        url(contoso, people.ann),
        {
            "action": "attributes",
            "attr-name": "Ann Smith",
            "attr-email": "ann@contoso.test",
            "attr-mail_enabled": "on",
            "attr-language": "en",
        },
    )
    assert response.status_code == 302
    people.ann.refresh_from_db()
    assert people.ann.name == "Ann Smith"
    event = DirectoryEvent.objects.get()
    assert (event.route, event.actor_name, event.changes) == (
        "admin-center",
        "alice",
        {"name": ["Ann", "Ann Smith"]},
    )
    assert OutgoingMessage.objects.get().bcc == "ann@contoso.test"


def test_it_shows_an_invalid_address_next_to_its_field(alice_client, contoso, people):
    response = alice_client.post(
        url(contoso, people.carl),
        {"action": "attributes", "attr-name": "Carl", "attr-email": "not an address"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="field-attr-email"' in page
    assert (
        "Enter a valid email address." in page.split('id="field-attr-email"')[1].split("</div>")[0]
    )
    assert not DirectoryEvent.objects.exists()


def test_it_adds_and_removes_a_member(alice_client, contoso, people):
    response = alice_client.post(
        url(contoso, people.sales),
        {"action": "add_member", "member-reference": "CARL@partner.test"},
    )
    assert response.status_code == 302
    assert list(GroupMembership.objects.values_list("member__name", flat=True)) == ["Carl"]
    assert "Carl" in alice_client.get(url(contoso, people.sales)).content.decode()
    response = alice_client.post(
        url(contoso, people.sales), {"action": "remove_member", "target": people.carl.pk}
    )
    assert read_confirmation(response).question == "Remove Carl from Sales?"
    assert GroupMembership.objects.exists()
    response = alice_client.post(
        url(contoso, people.sales),
        {"action": "remove_member", "target": people.carl.pk, "confirm": "yes"},
    )
    assert response.status_code == 302
    assert not GroupMembership.objects.exists()
    assert list(DirectoryEvent.objects.order_by("id").values_list("kind", "member_name")) == [
        ("member_added", "Carl"),
        ("member_removed", "Carl"),
    ]


def test_it_says_next_to_the_field_when_no_object_matches(alice_client, contoso, people):
    response = alice_client.post(
        url(contoso, people.sales), {"action": "add_member", "member-reference": "nobody@x.test"}
    )
    page = response.content.decode()
    assert "No object of this store matches that." in page.split('id="field-member-reference"')[1]


def test_it_refuses_an_existing_member_with_a_field_error(alice_client, contoso, people):
    GroupMembership.objects.create(group=people.sales, member=people.ann)
    response = alice_client.post(
        url(contoso, people.sales), {"action": "add_member", "member-reference": "Ann"}
    )
    assert "Ann is already a member of Sales." in response.content.decode()
    assert not DirectoryEvent.objects.exists()


def test_it_sets_owners_and_the_dont_notify_flag(alice_client, contoso, people):
    alice_client.post(
        url(contoso, people.sales), {"action": "set_owner", "powner-reference": "Ann"}
    )
    alice_client.post(
        url(contoso, people.sales),
        {"action": "add_owner", "owner-reference": "ben@contoso.test", "owner-dont_notify": "on"},
    )
    people.sales.refresh_from_db()
    assert people.sales.primary_owner == people.ann
    link = AdditionalOwner.objects.get()
    assert (link.owner, link.dont_notify) == (people.ben, True)
    response = alice_client.post(
        url(contoso, people.sales), {"action": "add_owner", "owner-reference": "Carl"}
    )
    assert "No user or group of this store matches that." in response.content.decode()
    alice_client.post(
        url(contoso, people.sales),
        {"action": "remove_owner", "target": people.ben.pk, "confirm": "yes"},
    )
    assert not AdditionalOwner.objects.exists()


def test_it_sets_and_clears_managers(alice_client, contoso, people):
    alice_client.post(
        url(contoso, people.ann), {"action": "set_manager", "pmanager-reference": "Ben"}
    )
    alice_client.post(
        url(contoso, people.ann),
        {"action": "add_manager", "manager-reference": f"#{people.ben.pk}"},
    )
    people.ann.refresh_from_db()
    assert people.ann.primary_manager == people.ben
    assert AdditionalManager.objects.get().manager == people.ben
    alice_client.post(url(contoso, people.ann), {"action": "set_manager", "pmanager-reference": ""})
    people.ann.refresh_from_db()
    assert people.ann.primary_manager is None
    kinds = list(DirectoryEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["manager_set", "manager_added", "manager_set"]


def test_it_refuses_a_user_as_their_own_manager(alice_client, contoso, people):
    response = alice_client.post(
        url(contoso, people.ann), {"action": "add_manager", "manager-reference": "Ann"}
    )
    assert "A user cannot be their own manager." in response.content.decode()


def test_it_rejects_a_post_without_csrf_token(alice, contoso, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(
        url(contoso, people.sales), {"action": "add_member", "member-reference": "Ann"}
    )
    assert response.status_code == 403
    assert not GroupMembership.objects.exists()


def test_it_rejects_an_unknown_action(alice_client, contoso, people):
    response = alice_client.post(url(contoso, people.ann), {"action": "add_member"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("action", "question"),
    [
        ("remove_member", "Remove Ann from Sales?"),
        ("remove_owner", "Remove Ben as an additional owner of Sales?"),
        ("remove_manager", "Remove Ben as an additional manager of Ann?"),
    ],
)
def test_a_removal_asks_first_as_the_dialog_does(alice_client, contoso, people, action, question):
    GroupMembership.objects.create(group=people.sales, member=people.ann)
    AdditionalOwner.objects.create(group=people.sales, owner=people.ben)
    AdditionalManager.objects.create(user=people.ann, manager=people.ben)
    obj, target = (people.ann, people.ben) if action == "remove_manager" else (people.sales, None)
    target = target or (people.ben if action == "remove_owner" else people.ann)
    links = (GroupMembership.objects.count(), AdditionalOwner.objects.count())

    page = alice_client.get(url(contoso, obj)).content.decode()
    asked = read_confirmation(
        alice_client.post(url(contoso, obj), {"action": action, "target": target.pk})
    )

    assert f'data-confirm="{question}"' in page
    assert asked.question == question
    assert asked.cancel_url == url(contoso, obj)
    assert (GroupMembership.objects.count(), AdditionalOwner.objects.count()) == links
    assert AdditionalManager.objects.exists()
    assert not DirectoryEvent.objects.exists()
    assert alice_client.post(asked.action, asked.data).status_code == 302
    assert DirectoryEvent.objects.count() == 1
