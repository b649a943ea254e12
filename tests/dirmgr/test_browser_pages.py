"""Every page of a store opens in a real browser, says what it is, and keeps the keyboard and the
console clean. A screenshot of each is saved under test-artifacts/screenshots/pages/."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore, Portal, StoreRole

pytestmark = pytest.mark.browser
PASSWORD = "browser-pages-password-1"

STORE_PAGES = [
    ("identitystores:edit", "Contoso LDAP"),
    ("identitystores:configurations", "Configurations"),
    ("notifications:settings", "Notifications"),
    ("notifications:outbox", "Outbox"),
    ("notifications:explain", "Who would be notified?"),
    ("identitystores:history", "History"),
    ("directory:list", "Directory"),
    ("notifications:email_templates", None),
    ("lifecycle:schedules", None),
    ("lifecycle:temporary_memberships", None),
    ("lifecycle:temporary_managed_by", None),
    ("ldapsync:connection", None),
]
GLOBAL_PAGES = [
    ("identitystores:list", "Identity Stores"),
    ("identitystores:portal_list", "Portals"),
    ("catcher:mailbox", "Mailbox"),
]


@pytest.fixture
def signed_in(page: Page, live_server, transactional_db, settings):
    settings.MAILBOX_ENABLED = True  # as scripts/run sets DIRMGR_MAILBOX
    store = IdentityStore.objects.create(name="Contoso LDAP", type=IdentityStore.Type.LDAP)
    Portal.objects.create(name="SSP", url="https://ssp.contoso.test/").stores.add(store)
    user = get_user_model().objects.create_user("alice", "alice@contoso.test", PASSWORD)
    StoreRole.objects.create(user=user, store=store)
    sign_in(page, live_server, "alice")
    return store


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()


def visit(page: Page, url: str, heading: str | None, shot: str, screenshot) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    h1 = page.locator("h1").first
    expect(h1).to_be_visible()
    if heading:
        expect(h1).to_have_text(heading)
    # Every form control has a label a screen reader can read.
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => !el.labels?.length && !el.getAttribute('aria-label')
                            && !el.getAttribute('aria-labelledby'))
              .map(el => el.name || el.id)"""
    )
    assert unlabeled == [], f"{url}: inputs without a label: {unlabeled}"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    screenshot(f"pages/{shot}")
    assert errors == [], f"{url}: {errors}"


@pytest.mark.parametrize(("name", "heading"), STORE_PAGES)
def test_it_opens_every_store_page(page, signed_in, live_server, screenshot, name, heading):
    url = live_server.url + reverse(name, args=[signed_in.pk])
    visit(page, url, heading, name.replace(":", "-"), screenshot)


@pytest.mark.parametrize(("name", "heading"), GLOBAL_PAGES)
def test_it_opens_every_global_page(page, signed_in, live_server, screenshot, name, heading):
    visit(page, live_server.url + reverse(name), heading, name.replace(":", "-"), screenshot)


def test_it_tells_a_user_without_a_store_whom_to_ask(
    page, live_server, transactional_db, screenshot
):
    get_user_model().objects.create_user("carol", "carol@contoso.test", PASSWORD)
    sign_in(page, live_server, "carol")
    expect(page.get_by_role("heading", name="No identity store yet")).to_be_visible()
    expect(page.get_by_text("Ask your administrator")).to_be_visible()
    expect(page.get_by_role("link", name="Create identity store")).to_have_count(0)
    screenshot("pages/identitystores-list-without-store")


def test_it_shows_a_shared_portal_without_the_other_store(page, signed_in, live_server, screenshot):
    other = IdentityStore.objects.create(name="Fabrikam Entra", type=IdentityStore.Type.ENTRA_ID)
    shared = Portal.objects.create(name="Group portal", url="https://portal.group.test/")
    shared.stores.add(signed_in, other)
    page.goto(live_server.url + reverse("identitystores:portal_list"))
    row = page.get_by_role("row").filter(has_text="Group portal")
    expect(row).to_contain_text("Contoso LDAP and identity stores you do not manage")
    expect(row).not_to_contain_text("Fabrikam")
    expect(row.get_by_role("button", name="Delete")).to_have_count(0)
    expect(row.get_by_role("link", name="Group portal")).to_have_count(0)
    own = page.get_by_role("row").filter(has_text="SSP")
    expect(own.get_by_role("link", name="SSP")).to_be_visible()
    screenshot("pages/portals-shared")
