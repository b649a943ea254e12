"""Who would be notified? in a real browser, on a laptop and on a phone: from the page of the
group Sales an admin asks who an attribute change would reach, and reads that Lia is told as an
owner through the nested group Leads while Quiet, marked Don't notify, is left out; the
Notifications page leads to the same form."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from directory.models import AdditionalOwner, DirectoryObject, GroupMembership
from identitystores.models import IdentityStore, StoreRole
from notifications.models import NotificationSettings, OutgoingMessage

pytestmark = pytest.mark.browser
PASSWORD = "browser-explain-password-7"


@pytest.fixture
def contoso(transactional_db):
    store = IdentityStore.objects.create(name="Contoso AD", type=IdentityStore.Type.BUILT_IN)
    NotificationSettings.objects.create(
        store=store,
        smtp_host="127.0.0.1",
        from_email="directory@contoso.test",
        notify_group_owners=True,
    )

    def make(kind, name, email="", **values):
        return DirectoryObject.objects.create(
            store=store, kind=kind, name=name, email=email, **values
        )

    owen = make("user", "Owen", "owen@contoso.test")
    sales = make("group", "Sales", security_type="private", primary_owner=owen)
    leads = make("group", "Leads", security_type="private")
    quiet = make("group", "Quiet", security_type="private")
    for group, member in [(leads, make("user", "Lia", "lia@contoso.test")),
                          (quiet, make("user", "Quinn", "quinn@contoso.test"))]:  # fmt: skip
        GroupMembership.objects.create(group=group, member=member)
    AdditionalOwner.objects.create(group=sales, owner=leads)
    AdditionalOwner.objects.create(group=sales, owner=quiet, dont_notify=True)
    user = get_user_model().objects.create_user("alice", "alice@contoso.test", PASSWORD)
    StoreRole.objects.create(user=user, store=store)
    return store, sales


@pytest.mark.parametrize("width", [1366, 390])
def test_an_admin_learns_who_an_owner_change_reaches_and_who_not(
    page: Page, live_server, contoso, screenshot, width
):
    store, sales = contoso
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/identity-stores/{store.pk}/directory/{sales.pk}/")

    page.get_by_role("link", name="Who would be notified?").click()
    expect(page.get_by_role("heading", name="Who would be notified?")).to_be_visible()
    expect(page.get_by_label("Object (name, email address or #id)")).to_have_value(f"#{sales.pk}")
    page.get_by_label("Event").select_option("Attributes changed")
    page.get_by_role("button", name="Explain").click()

    notified = page.locator("#explain-recipients")
    lia = notified.get_by_role("row").filter(has_text="lia@contoso.test")
    expect(lia.get_by_role("cell")).to_have_text(
        ["Lia", "lia@contoso.test", "Group owner(s) for their groups", "Leads"]
    )
    owen = notified.get_by_role("row").filter(has_text="owen@contoso.test")
    expect(owen.get_by_role("cell").nth(3)).to_have_text("picked directly")
    expect(notified.get_by_text("quinn@contoso.test")).to_have_count(0)
    quiet = page.locator("#explain-left-out").get_by_role("row").filter(has_text="Quiet")
    expect(quiet.get_by_role("cell").nth(3)).to_have_text(
        "Marked Don't notify as an additional owner"
    )
    box = page.locator("#explain-recipients").bounding_box()
    assert box["x"] >= 0, box
    screenshot(f"notifications/explain-{width}")
    assert not OutgoingMessage.objects.exists()

    page.goto(f"{live_server.url}/identity-stores/{store.pk}/configurations/notifications/")
    page.get_by_role("link", name="Who would be notified?").click()
    expect(page.get_by_label("Event")).to_be_visible()
