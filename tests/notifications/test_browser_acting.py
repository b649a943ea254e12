"""The SMTP server banner in a real browser: a co-admin repointed the store, Carol is asked.

Alice saves Contoso's Notifications page with a server of her own; the store uses no SMTP user
authentication, so Carol's changes would sign in there with Carol's password. Carol sees who set
which server and when, and answers Confirm.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Page, expect

from identitystores.models import IdentityStore, StoreRole
from notifications.models import ActingTrust

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password-2"


@pytest.fixture
def contoso_admins(transactional_db):
    store = IdentityStore.objects.create(
        name="Contoso AD", type=IdentityStore.Type.ACTIVE_DIRECTORY
    )
    for name in ("alice", "carol"):
        user = get_user_model().objects.create_user(name, f"{name}@contoso.test", PASSWORD)
        StoreRole.objects.create(user=user, store=store)
    return store


def alice_points_the_store_at(store, server) -> None:
    alice = Client()
    alice.post("/login/", {"username": "alice", "password": PASSWORD})
    response = alice.post(
        f"/identity-stores/{store.pk}/configurations/notifications/",
        {
            "smtp_host": server.host,
            "from_email": "directory@contoso.test",
            "port": str(server.port),
            "ssl_enabled": "on",
            "auth_type": "basic",
        },
    )
    assert response.status_code == 302


def test_a_co_admin_confirms_the_server_another_admin_set(
    page: Page, live_server, contoso_admins, smtp_server, screenshot
):
    server = smtp_server("starttls")
    alice_points_the_store_at(contoso_admins, server)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/identity-stores/{contoso_admins.pk}/outbox/")

    banner = page.get_by_role("alert").filter(has_text="Confirm the SMTP server of Contoso AD")
    expect(banner).to_contain_text(f"{server.host}:{server.port}")
    expect(banner).to_contain_text("set by alice")
    screenshot("notifications/acting-banner")
    banner.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("SMTP server confirmed.")).to_be_visible()
    expect(page.get_by_text("Confirm the SMTP server of Contoso AD")).to_have_count(0)
    carol = get_user_model().objects.get(username="carol")
    trust = ActingTrust.objects.get(user=carol)
    assert trust.decision == ActingTrust.Decision.CONFIRMED
    assert str(server.port) in trust.destination
    screenshot("notifications/acting-banner-confirmed")
