"""The LDAP features as a directory admin clicks through them in a real browser, against the
private slapd: directory sign-in, Directory connection (Test connection, Save, Sync now, status
line) and a write-back the directory refuses. Screenshots go to test-artifacts/screenshots/ldap/."""

import re

import pytest
from playwright.sync_api import Page, expect

from directory.models import DirectoryEvent, DirectoryObject, GroupMembership
from ldapsync.models import DirectoryConnection
from ldapsync.sync import sync_store
from tests.support.ldap_server import SUFFIX, SYNC_PASSWORD, directory_values, group_dn, person_dn

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.support.ldap_server"]


@pytest.fixture
def store(transactional_db, ldap_store):
    """The slapd-backed store; the live server needs transactional_db to see its rows."""
    return ldap_store


def sign_in(page: Page, url: str, store_name: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("Identity store").select_option(label=store_name)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def admin_page(page: Page, live_server, store, ldap_admin) -> Page:
    """Signed in as lena, a local account with the administrator role on the LDAP store."""
    sign_in(page, live_server.url, "Admin Center account", "lena", "lena-local-pass")
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()
    return page


def open_store_page(page: Page, link: str) -> None:
    """Identity Stores → Example LDAP → the store's `link` in the side navigation."""
    page.get_by_label("Actions for Example LDAP").click()
    page.get_by_role("menuitem", name="Edit").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name=link, exact=True).click()


def open_connection_page(page: Page) -> None:
    open_store_page(page, "Directory connection")
    expect(page.get_by_role("heading", name="Directory connection")).to_be_visible()


def test_it_signs_in_with_a_directory_account(page: Page, live_server, store, screenshot):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_label("Identity store")).to_contain_text("Example LDAP")
    screenshot("ldap/01-sign-in-page")

    sign_in(page, live_server.url, "Example LDAP", "alice", "alice-password")

    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()
    expect(page.get_by_text(f"alice@store-{store.pk}")).to_be_visible()
    screenshot("ldap/02-signed-in-with-directory")


def test_it_refuses_a_wrong_directory_password_on_the_page(
    page: Page, live_server, store, screenshot
):
    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 500 else None)

    sign_in(page, live_server.url, "Example LDAP", "alice", "wrong-password")

    alert = page.locator(".form-errors")
    expect(alert).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_label("Identity store")).to_have_value(str(store.pk))
    assert errors == []
    screenshot("ldap/03-sign-in-wrong-password")


def test_it_says_the_directory_cannot_be_reached(page: Page, live_server, store, slapd, screenshot):
    slapd.stop()

    sign_in(page, live_server.url, "Example LDAP", "alice", "alice-password")

    alert = page.locator(".form-errors")
    expect(alert).to_contain_text("Example LDAP cannot be reached")
    # The anonymous page names neither the cause nor the directory's address (server log only).
    assert "nothing answered" not in page.content() and slapd.ldap_url not in page.content()
    assert "alice-password" not in page.content()
    screenshot("ldap/04-sign-in-directory-down")


def test_it_tests_the_connection_with_unsaved_edits(admin_page: Page, slapd, screenshot):
    page = admin_page
    open_connection_page(page)
    screenshot("ldap/05-connection-page")

    # A second URL is a new destination: the stored password must be typed again.
    page.get_by_label("LDAP URLs").fill(f"{slapd.ldap_url} {slapd.ldaps_url}")
    page.get_by_label("Bind password").fill(SYNC_PASSWORD)
    page.get_by_role("button", name="Test connection").click()

    report = page.locator("#test-report")
    expect(report.get_by_role("heading")).to_have_text("Connection works")
    expect(report).to_contain_text(f"{slapd.ldap_url}: TLS verified")
    expect(report).to_contain_text(f"{slapd.ldaps_url}: TLS verified")
    expect(report).to_contain_text("6 users, 3 groups")
    expect(page.get_by_label("LDAP URLs")).to_have_value(f"{slapd.ldap_url} {slapd.ldaps_url}")
    assert SYNC_PASSWORD not in page.content()
    screenshot("ldap/06-test-connection-works")

    page.get_by_label("Bind password").fill(SYNC_PASSWORD)
    page.get_by_label("Base DN").fill(f"ou=missing,{SUFFIX}")
    page.get_by_role("button", name="Test connection").click()

    missing = f"The base DN ou=missing,{SUFFIX} does not exist (result 32, noSuchObject)."
    expect(report.get_by_role("heading")).to_have_text("Connection failed")
    expect(report.locator("li.failed")).to_have_text(f"✗ {missing}")
    expect(page.locator("#field-base_dn .error")).to_have_text(missing)
    expect(page.get_by_label("Base DN")).to_have_attribute("aria-invalid", "true")
    assert SYNC_PASSWORD not in page.content()
    screenshot("ldap/07-test-connection-missing-base")
    assert DirectoryConnection.objects.get().base_dn == SUFFIX  # testing saved nothing


@pytest.mark.usefixtures("eager_celery")
def test_it_saves_and_syncs_now(admin_page: Page, store, screenshot):
    store.time_zone = "Europe/Berlin"
    store.save()
    page = admin_page
    open_connection_page(page)
    expect(page.locator("#sync-status")).to_contain_text("Not synced yet")
    page.get_by_label("Timeout").fill("7")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Directory connection saved.")).to_be_visible()
    assert DirectoryConnection.objects.get().timeout == 7
    page.get_by_role("button", name="Sync now").click()

    expect(page.locator(".messages")).to_have_text(
        "Sync queued: it runs in the background; this page shows the result when it is done."
    )
    status = page.locator("#sync-status")
    expect(status).to_contain_text("Last sync (import)")
    expect(status).to_contain_text(re.compile(r"\d\d:\d\d:\d\d Europe/Berlin \(just now\)"))
    expect(status).to_contain_text(re.compile(r"6 users\b"))
    expect(status).to_contain_text(re.compile(r"3 groups\b"))
    expect(status).to_contain_text("9 entries read")
    assert SYNC_PASSWORD not in page.content()
    screenshot("ldap/08-saved-and-synced")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="General").click()
    line = page.get_by_role("region", name="Directory sync")
    expect(line).to_contain_text("Directory sync: last import")
    expect(line).to_contain_text("9 entries read.")
    screenshot("ldap/08b-general-page-sync-line")


def test_it_shows_the_directorys_refusal_of_a_write_back(
    admin_page: Page, store, slapd, screenshot
):
    sync_store(store)
    page = admin_page
    open_store_page(page, "Directory")
    page.get_by_role("link", name="solo", exact=True).click()
    expect(page.get_by_role("heading", name="solo", exact=True)).to_be_visible()
    screenshot("ldap/09-group-before-removal")

    page.get_by_role("button", name="Remove Frank Solo").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Remove Frank Solo from solo?")
    dialog.get_by_role("button", name="Remove").click()

    message = page.locator(".messages")
    expect(message).to_contain_text(
        "Removing Frank Solo from solo was refused: the directory keeps at least one member in "
        "this group; add another member before removing Frank Solo."
    )
    expect(message).to_contain_text(
        "The directory said: objectClassViolation (result 65): object class 'groupOfNames' "
        "requires attribute 'member'"
    )
    expect(page.get_by_role("button", name="Remove Frank Solo")).to_be_visible()
    solo = DirectoryObject.objects.get(store=store, name="solo")
    assert GroupMembership.objects.filter(group=solo, member__name="Frank Solo").exists()
    assert not DirectoryEvent.objects.exists()
    assert directory_values(slapd, group_dn("solo"), "member") == [person_dn("frank")]
    screenshot("ldap/10-write-back-refused")
