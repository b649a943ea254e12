"""Reference boxes (primary owner, primary manager) show a name or an address an admin knows,
never a bare "#id" — unless nothing else finds the object."""

from django.urls import reverse

from directory.lookup import find_object, reference_for


def test_the_primary_owner_box_shows_the_owners_address(alice_client, contoso, make_object):
    ann = make_object("user", "Ann Lee", "ann@contoso.test")
    sales = make_object("group", "Sales", "sales@contoso.test", primary_owner=ann)
    page = alice_client.get(reverse("directory:object", args=[contoso.pk, sales.pk]))
    html = page.content.decode()
    assert 'value="ann@contoso.test"' in html
    assert f'value="#{ann.pk}"' not in html


def test_a_name_stands_in_for_an_object_without_address(contoso, make_object):
    team = make_object("group", "Team")
    assert reference_for(team) == "Team"
    assert find_object(contoso.pk, reference_for(team)) == team


def test_the_id_is_the_last_resort_when_the_name_is_shared(contoso, make_object):
    first = make_object("contact", "Pat")
    make_object("user", "Pat")
    assert reference_for(first) == f"#{first.pk}"
    assert find_object(contoso.pk, reference_for(first)) == first


def test_nothing_is_shown_for_no_object():
    assert reference_for(None) == ""
