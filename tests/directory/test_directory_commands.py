"""`manage.py directory`: the Management Shell route notifies exactly like the Admin Center."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from directory.models import AdditionalOwner, DirectoryEvent, DirectoryObject, GroupMembership
from notifications.models import OutgoingMessage


def run(*args):
    out = StringIO()
    call_command("directory", "--store", "Contoso AD", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def team(make_object, contoso_mail):
    contoso_mail.notify_actor = True
    contoso_mail.notify_added_member = True
    contoso_mail.notify_group_owners = True
    contoso_mail.save()

    class T:
        ann = make_object("user", "Ann", "ann@contoso.test")
        owen = make_object("user", "Owen", "owen@contoso.test")
        sales = make_object("group", "Sales", "", security_type="private", primary_owner=owen)

    return T


def bcc():
    return {a for m in OutgoingMessage.objects.all() for a in m.bcc.split("; ") if a}


def test_it_adds_a_member_and_notifies_like_the_admin_center(team, alice):
    out = run("--actor", "alice", "add-member", "Sales", "ann@contoso.test")
    assert out == "Member added: Sales by alice.\n"
    assert GroupMembership.objects.filter(group=team.sales, member=team.ann).exists()
    event = DirectoryEvent.objects.get()
    assert (event.route, event.actor, event.member) == ("management-shell", alice, team.ann)
    assert bcc() == {"alice@contoso.test", "ann@contoso.test", "owen@contoso.test"}


def test_it_notifies_no_actor_without_one(team):
    run("add-member", "Sales", "Ann")
    assert DirectoryEvent.objects.get().actor_name == "Management Shell"
    assert bcc() == {"ann@contoso.test", "owen@contoso.test"}


def test_it_updates_attributes_with_typed_values(team):
    out = run("update", "ann@contoso.test", "name=Ann Smith", "mail_enabled=false", "language=de")
    team.ann.refresh_from_db()
    assert (team.ann.name, team.ann.mail_enabled, team.ann.language) == ("Ann Smith", False, "de")
    assert "Attributes changed: Ann Smith" in out
    assert DirectoryEvent.objects.get().changes == {
        "name": ["Ann", "Ann Smith"],
        "mail_enabled": [True, False],
        "language": ["en", "de"],
    }


def test_it_says_when_nothing_changed(team):
    assert run("update", "Ann", "name=Ann") == "Nothing changed.\n"
    assert not DirectoryEvent.objects.exists()


def test_it_creates_objects_and_sets_owners_and_managers(team):
    run("create", "user", "Bea", "email=bea@contoso.test")
    run("add-owner", "Sales", "Bea", "--dont-notify")
    run("set-manager", "Ann", "Bea")
    run("set-owner", "Sales", "--none")
    team.sales.refresh_from_db()
    team.ann.refresh_from_db()
    bea = DirectoryObject.objects.get(name="Bea")
    assert team.sales.primary_owner is None
    assert team.ann.primary_manager == bea
    assert AdditionalOwner.objects.get(group=team.sales).dont_notify is True
    kinds = list(DirectoryEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "owner_added", "manager_set", "owner_set"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add-member", "Nobody", "Ann"), "No object matches “Nobody”."),
        (("add-member", "Ann", "Sales"), "No object matches “Ann”."),
        (("update", "Ann", "colour=red"), "Expected field=value with a field among:"),
        (("update", "Ann", "password_expires=soon"), "password_expires:"),
        (("set-manager", "Ann", "Ann"), "A user cannot be their own manager."),
        (("remove-member", "Sales", "Ann"), "Ann is not a member of Sales."),
        (("set-owner", "Sales"), "Name the new primary owner/manager, or pass --none."),
    ],
)
def test_it_explains_what_it_cannot_do(team, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run(*args)
    assert not DirectoryEvent.objects.exists()


def test_it_refuses_an_unknown_store_or_actor(team):
    with pytest.raises(CommandError, match="No identity store named “Nowhere”."):
        call_command("directory", "--store", "Nowhere", "show", "Ann")
    with pytest.raises(CommandError, match="No Admin Center account named “mallory”."):
        run("--actor", "mallory", "show", "Ann")


def test_it_shows_an_object(team):
    out = run("show", "Sales")
    assert "kind: group" in out and "members: 0" in out and "primary_owner: Owen" in out
