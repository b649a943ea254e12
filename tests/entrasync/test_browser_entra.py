"""An Entra ID store's Directory connection as an admin clicks through it in a real browser,
against the loopback Graph server: fill in the app registration, Test connection (a wrong
secret, then the right one), Save, Sync now, and find the tenant's users on the Directory page.
Screenshots go to test-artifacts/screenshots/entra/."""

import pytest
from playwright.sync_api import Page, expect

from entrasync.models import EntraConnection
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def bob_page(page: Page, live_server, transactional_db, bob) -> Page:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()
    return page


def open_store_page(page: Page, link: str) -> None:
    page.get_by_label("Actions for Fabrikam Entra").click()
    page.get_by_role("menuitem", name="Edit").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name=link, exact=True).click()


@pytest.mark.usefixtures("eager_celery")
def test_it_connects_tests_saves_syncs_and_shows_users(bob_page: Page, graph, screenshot):
    page = bob_page
    open_store_page(page, "Directory connection")
    expect(page.get_by_role("heading", name="Directory connection")).to_be_visible()
    page.get_by_label("Tenant").fill(graph.tenant)
    page.get_by_label("Client ID").fill(graph.client_id)
    page.get_by_label("Client secret", exact=True).fill("not-the-secret")
    page.get_by_label("Sign-in URL (override)").fill(graph.base_url)
    page.get_by_label("Graph URL (override)").fill(graph.base_url)
    page.get_by_role("button", name="Test connection").click()

    report = page.locator("#test-report")
    expect(report.get_by_role("heading")).to_have_text("Connection failed")
    expect(page.locator("#field-client_secret .error")).to_contain_text(
        "The client secret is wrong (AADSTS7000215)"
    )
    screenshot("entra/01-test-connection-wrong-secret")

    page.get_by_label("Client secret", exact=True).fill(graph.client_secret)
    page.get_by_role("button", name="Test connection").click()
    expect(report.get_by_role("heading")).to_have_text("Connection works")
    expect(report).to_contain_text("May read users (User.Read.All)")
    assert graph.client_secret not in page.content()
    screenshot("entra/02-test-connection-works")

    page.get_by_label("Client secret", exact=True).fill(graph.client_secret)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Entra ID connection saved.")).to_be_visible()
    assert EntraConnection.objects.get().tenant == graph.tenant
    page.get_by_role("button", name="Sync now").click()

    status = page.locator("#sync-status")
    expect(status).to_contain_text("Last sync (import)")
    expect(status).to_contain_text("5 users")
    screenshot("entra/03-synced")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Directory", exact=True
    ).click()
    expect(page.get_by_text("Alice Engineer")).to_be_visible()
    expect(page.get_by_text("Engineering", exact=True)).to_be_visible()
    screenshot("entra/04-directory-users")
