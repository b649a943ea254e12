"""Deleting users, groups and contacts of a built-in store: asked first, recorded, notified —
the object leaves its groups first (each removal notified), a group's members hear of it."""

import pytest

from directory import changes
from directory.changes import Actor
from directory.models import DirectoryEvent, DirectoryObject, GroupMembership, Route
from identitystores.models import AuditEntry, IdentityStore, StoreRole
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.confirm import read_confirmation


@pytest.fixture
def northwind(db, alice):
    """A built-in store Alice administers; notifications go to the IT team, the object being
    modified and the removed member are told too."""
    store = IdentityStore.objects.create(name="Northwind", type=IdentityStore.Type.BUILT_IN)
    StoreRole.objects.create(user=alice, store=store)
    NotificationSettings.objects.create(
        store=store,
        smtp_host="127.0.0.1",
        from_email="directory@northwind.test",
        to_recipients="it-team@northwind.test",
        notify_modified_object=True,
        notify_removed_member=True,
    )
    return store


@pytest.fixture
def sales(northwind, make_object):
    group = make_object("group", "Sales", "sales@northwind.test", store=northwind)
    ann = make_object("user", "Ann Lee", "ann@northwind.test", store=northwind, mail_enabled=True)
    ben = make_object("user", "Ben Ode", "ben@northwind.test", store=northwind, mail_enabled=True)
    actor = Actor(None, Route.MANAGEMENT_SHELL, notify=False)
    for user in (ann, ben):
        changes.add_member(group, user, actor)
    return group, ann, ben


def delete_url(obj) -> str:
    return f"/identity-stores/{obj.store_id}/directory/{obj.pk}/delete/"


def recipients() -> dict[str, set[str]]:
    """Everyone each notification reached (To/CC and the Also Notify Bcc messages), by subject."""
    told: dict[str, set[str]] = {}
    for m in OutgoingMessage.objects.order_by("pk"):
        told.setdefault(m.subject, set()).update(a for a in f"{m.to}; {m.bcc}".split("; ") if a)
    return told


def test_deleting_a_user_asks_then_removes_it_from_its_groups_and_notifies(
    alice_client, northwind, sales
):
    group, ann, _ = sales
    asked = read_confirmation(alice_client.post(delete_url(ann)))
    assert asked.question == "Delete the user “Ann Lee”?"
    assert DirectoryObject.objects.filter(pk=ann.pk).exists()

    response = alice_client.post(asked.action, asked.data, follow=True)

    assert "Deleted Ann Lee." in response.content.decode()
    assert not DirectoryObject.objects.filter(pk=ann.pk).exists()
    assert list(GroupMembership.objects.values_list("member__name", flat=True)) == ["Ben Ode"]
    kinds = list(DirectoryEvent.objects.order_by("pk").values_list("kind", "object_name"))
    assert kinds[-2:] == [("member_removed", "Sales"), ("deleted", "Ann Lee")]
    # The removal reaches the removed member and the group's members; the deletion the object
    # itself; To gets both.
    assert recipients() == {
        "[Northwind] Member removed: Sales": {
            "it-team@northwind.test",
            "ann@northwind.test",
            "ben@northwind.test",
        },
        "[Northwind] Object deleted: Ann Lee": {"it-team@northwind.test", "ann@northwind.test"},
    }
    entry = AuditEntry.objects.get(action="directory.deleted")
    assert (entry.actor_name, entry.field) == ("alice", "Ann Lee · kind")


def test_deleting_a_group_tells_its_members(alice_client, northwind, sales):
    group, _, _ = sales

    alice_client.post(delete_url(group), {"confirm": "yes"})

    assert not DirectoryObject.objects.filter(kind="group").exists()
    assert not GroupMembership.objects.exists()
    assert recipients() == {
        "[Northwind] Object deleted: Sales": {
            "ann@northwind.test",
            "ben@northwind.test",
            "it-team@northwind.test",
        }
    }


def test_only_built_in_stores_delete_objects(alice_client, contoso, make_object):
    ann = make_object("user", "Ann", "ann@contoso.test")

    response = alice_client.post(delete_url(ann), {"confirm": "yes"})

    assert response.status_code == 404
    assert DirectoryObject.objects.filter(pk=ann.pk).exists()


def test_another_stores_admin_gets_404(client, bob, northwind, sales):
    _, ann, _ = sales
    client.force_login(bob)

    assert client.post(delete_url(ann), {"confirm": "yes"}).status_code == 404
    assert client.get(delete_url(ann)).status_code == 404
    assert DirectoryObject.objects.filter(pk=ann.pk).exists()


def test_the_object_page_offers_delete_with_its_question(alice_client, northwind, sales):
    _, ann, _ = sales

    page = alice_client.get(f"/identity-stores/{northwind.pk}/directory/{ann.pk}/")

    assert 'data-confirm="Delete the user “Ann Lee”?"' in page.content.decode()
