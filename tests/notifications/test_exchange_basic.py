"""Basic SMTP AUTH to Exchange Online: the warning, the one-step switch, and 5.7.30 in words."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from notifications import tasks
from notifications.delivery import lanes
from notifications.models import NotificationSettings, OutgoingMessage
from notifications.outbox import enqueue, new_message
from tests.support.exchange import BASIC_REFUSED
from tests.support.notifications_page import JSON, TEST_SERVER_URL, URL
from tests.support.outbox import make_row

SECRET = "Mailbox-pa55word!"
REASON = f"Authentication failed, the server answered: {BASIC_REFUSED}"
WARNING_OPEN = '<section class="banner exchange-basic" id="exchange-basic-warning"'


@pytest.fixture(autouse=True)
def fresh_cache():
    """Test Server allows five tests a minute per admin: each test starts with none used."""
    cache.clear()


def basic_settings(store, host="smtp.office365.com", port=587, **values):
    defaults = dict(
        ssl_enabled=True,
        use_smtp_auth=True,
        auth_type="basic",
        smtp_username="mailer@contoso.test",
        smtp_password=SECRET,
    )
    return NotificationSettings.objects.create(
        store=store,
        smtp_host=host,
        from_email="mailer@contoso.test",
        port=port,
        **defaults | values,
    )


def basic_check_form(host: str, port: int) -> dict[str, str]:
    """The Test Server request of a Basic store, as the page sends it."""
    return {
        "smtp_host": host,
        "from_email": "mailer@contoso.test",
        "port": str(port),
        "ssl_enabled": "on",
        "use_smtp_auth": "on",
        "auth_type": "basic",
        "smtp_username": "mailer@contoso.test",
        "smtp_password": SECRET,
        "test_recipient": "ops@contoso.test",
    }


def warning_shown(page: str) -> bool:
    start = page.index(WARNING_OPEN) + len(WARNING_OPEN)
    return not page[start : page.index(">", start)].strip().endswith("hidden")


@pytest.mark.parametrize(
    ("host", "values"),
    [
        ("smtp.office365.com", {}),
        ("SMTP-Legacy.Office365.com.", {}),
        # Without SMTP user authentication each admin signs in with their own password: Basic.
        ("smtp.office365.com", {"use_smtp_auth": False, "smtp_password": ""}),
    ],
)
def test_a_basic_store_on_exchange_online_is_warned(alice_client, contoso, host, values):
    basic_settings(contoso, host=host, **values)
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert warning_shown(page)
    assert "at the end of December 2026" in page
    assert "550 5.7.30 Basic authentication is not supported for Client Submission" in page
    assert "Switch to OAuth 2.0 (Exchange Online preset)" in page
    assert 'href="/help/exchange-online-oauth/"' in page


@pytest.mark.parametrize(
    "values",
    [
        {"host": "smtp.contoso.test"},
        {"host": "smtp.contoso.test", "use_smtp_auth": False},
        {"auth_type": "oauth2"},
    ],
)
def test_other_stores_are_not_warned(alice_client, contoso, values):
    host = values.pop("host", "smtp.office365.com")
    basic_settings(contoso, host=host, **values)
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert not warning_shown(page)


def test_the_switch_moves_to_oauth_and_keeps_the_stored_password(alice_client, contoso):
    settings = basic_settings(contoso)
    form = {
        "smtp_host": "smtp.office365.com",
        "from_email": "mailer@contoso.test",
        "port": "587",
        "ssl_enabled": "on",
        "use_smtp_auth": "on",
        "auth_type": "basic",
        "smtp_username": "mailer@contoso.test",
        "apply_preset": "exchange_online",
    }
    page = alice_client.post(URL.format(contoso.pk), form).content.decode()
    assert re.search(r'<input type="radio" name="auth_type" value="oauth2"[^>]*checked', page)
    assert "Preset applied: Exchange Online" in page
    assert not warning_shown(page)
    settings.refresh_from_db()
    assert settings.auth_type == "basic" and settings.smtp_password == SECRET  # nothing saved


def test_test_server_names_the_change_when_exchange_refuses_basic(
    alice_client, contoso, exchange_on_loopback
):
    form = basic_check_form("smtp.office365.com", exchange_on_loopback.port)
    result = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form, **JSON).json()
    assert exchange_on_loopback.auth_attempts == [("PLAIN", "mailer@contoso.test")]
    assert result["ok"] is False
    assert result["reply"] == BASIC_REFUSED
    assert "Exchange Online no longer accepts Basic authentication" in result["hint"]
    assert "end of December 2026" in result["hint"]
    assert result["notice"] == ""  # the hint says it already
    assert result["guide_url"] == "/help/exchange-online-oauth/"
    assert SECRET not in str(result)


def test_test_server_warns_while_basic_still_works(alice_client, contoso, exchange_on_loopback):
    """Before Microsoft's deadline the login succeeds; the admin hears of the change anyway."""
    exchange_on_loopback.users["mailer@contoso.test"] = SECRET
    form = basic_check_form("smtp.office365.com", exchange_on_loopback.port)
    result = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form, **JSON).json()
    assert result["ok"] is True
    assert exchange_on_loopback.wait_for(1)[0].auth_user == "mailer@contoso.test"
    assert "end of December 2026" in result["notice"]
    assert result["guide_url"] == "/help/exchange-online-oauth/"


def test_test_server_adds_no_notice_elsewhere(alice_client, contoso, smtp_server):
    server = smtp_server("starttls", users={"mailer@contoso.test": SECRET})
    form = basic_check_form("127.0.0.1", server.port)
    result = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form, **JSON).json()
    assert result["ok"] is True
    assert result["notice"] == "" and result["guide_url"] == ""


def test_test_server_without_javascript_links_the_guide(
    alice_client, contoso, exchange_on_loopback
):
    form = basic_check_form("smtp.office365.com", exchange_on_loopback.port)
    page = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form).content.decode()
    assert "Authentication failed, the server answered: " + BASIC_REFUSED in page
    assert '<a href="/help/exchange-online-oauth/">' in page


def test_a_delivery_refused_with_5_7_30_says_why_in_plain_words(
    contoso, exchange_on_loopback, memory_broker
):
    settings = basic_settings(contoso, port=exchange_on_loopback.port)
    [row] = enqueue(
        [
            new_message(
                contoso, settings, subject="Group changed", body_text="b", to=["a@contoso.test"]
            )
        ]
    )
    tasks.deliver([row.pk])
    row.refresh_from_db()
    # Refused credentials hold the store's mail until they are fixed (delivery/learn.py).
    assert row.status == OutgoingMessage.Status.QUEUED
    assert lanes.lane_state(contoso.pk).state == "held"
    assert row.last_error.startswith("Held: the server refused our credentials (550 5.7.30)")
    assert "Exchange Online no longer accepts Basic authentication" in row.last_error
    assert "docs/exchange-online-oauth.md" in row.last_error
    assert SECRET not in row.last_error


def test_the_guide_is_shown_and_only_listed_guides_are(alice_client):
    page = alice_client.get("/help/exchange-online-oauth/").content.decode()
    assert "Sending through Exchange Online with OAuth 2.0" in page
    assert alice_client.get("/help/settings/").status_code == 404
    assert Client().get("/help/exchange-online-oauth/").status_code == 302  # sign in first


def test_the_outbox_links_the_guide_next_to_a_5_7_30_reason(alice_client, contoso):
    settings = basic_settings(contoso)
    make_row(settings, "Group changed", status=OutgoingMessage.Status.DEAD, last_error=REASON)
    page = alice_client.get(f"/identity-stores/{contoso.pk}/outbox/?show=failed").content.decode()
    assert '<a href="/help/exchange-online-oauth/">Setting up OAuth 2.0' in page


def test_test_server_warns_a_store_signing_in_with_each_admins_password(
    alice_client, contoso, exchange_on_loopback
):
    form = basic_check_form("smtp.office365.com", exchange_on_loopback.port)
    del form["use_smtp_auth"]
    result = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form, **JSON).json()
    assert "end of December 2026" in result["notice"]
