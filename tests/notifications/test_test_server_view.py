"""The Test Server endpoint: validation first, then the rate limit, then where it may connect."""

import pytest

from core import destination_rules
from identitystores.models import AuditEntry
from tests.support.notifications_page import JSON, TEST_SERVER_URL

FORM = {
    "smtp_host": "127.0.0.1",
    "from_email": "n@contoso.test",
    "port": "25",
    "auth_type": "basic",
    "test_recipient": "ops@contoso.test",
}


@pytest.fixture(autouse=True)
def loopback_only(settings):
    """Nothing here may leave loopback, whatever the code under test does."""
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["127.0.0.0/8", "::1"]


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


def press(client, store, **changes):
    return client.post(TEST_SERVER_URL.format(store.pk), {**FORM, **changes}, **JSON)


def test_it_reports_field_errors_without_sending(alice_client, contoso):
    response = press(alice_client, contoso, smtp_host="smtp://x", test_recipient="nobody")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "smtp_host" in errors and "test_recipient" in errors
    assert not AuditEntry.objects.filter(action__startswith="test server").exists()


def test_it_ignores_errors_outside_the_smtp_section(alice_client, contoso):
    response = press(alice_client, contoso, smtp_host="169.254.169.254", to_recipients="bad")
    assert set(response.json()["errors"]) == {"smtp_host"}


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "[fe80::1]",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",  # IPv4-mapped
        "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix
        "64:ff9b:1:a9fe:a9:fe00::",  # NAT64 local-use prefix, /48 layout
        "2002:a9fe:a9fe::1",  # 6to4
        "0.0.0.0",
    ],
)
def test_it_refuses_link_local_and_metadata_addresses_next_to_the_field(
    alice_client, contoso, host
):
    response = press(alice_client, contoso, smtp_host=host)
    assert response.status_code == 400
    (message,) = response.json()["errors"]["smtp_host"]
    assert "link-local, cloud metadata or reserved address" in message
    assert not AuditEntry.objects.filter(action__startswith="test server").exists()


def test_it_refuses_a_token_endpoint_on_a_metadata_address(alice_client, contoso):
    response = press(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="oauth2",
        token_endpoint="https://[::ffff:a9fe:a9fe]/oauth2/v2.0/token",
        client_id="app",
        client_secret="s",
        scope="https://outlook.office365.com/SMTP.Send",
    )
    assert response.status_code == 400
    assert "link-local" in response.json()["errors"]["token_endpoint"][0]


def test_it_honours_the_allowed_destinations_setting(alice_client, contoso, settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["10.0.0.0/8:25", "smtp.contoso.test:587"]
    response = press(alice_client, contoso, smtp_host="127.0.0.1")
    assert response.status_code == 400
    assert "DIRMGR_DESTINATIONS_ALLOWED" in response.json()["errors"]["smtp_host"][0]


def test_it_honours_the_denied_destinations_setting(alice_client, contoso, settings):
    settings.DIRMGR_DESTINATIONS_DENIED = ["127.0.0.0/8"]
    response = press(alice_client, contoso, smtp_host="::ffff:127.0.0.1")
    assert response.status_code == 400
    assert "DIRMGR_DESTINATIONS_DENIED" in response.json()["errors"]["smtp_host"][0]


def test_it_parses_allowed_destination_rules():
    assert destination_rules.parse_rule("10.0.0.0/8:25").port == 25
    assert destination_rules.parse_rule("[2001:db8::/32]:587").port == 587
    assert destination_rules.parse_rule("2001:db8::/32").port is None
    assert destination_rules.parse_rule("smtp.office365.com:587").host == "smtp.office365.com"


def test_it_limits_how_often_an_admin_can_press_it(alice_client, contoso, closed_port):
    codes = [press(alice_client, contoso, port=closed_port).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert "at most 5 a minute" in press(alice_client, contoso).json()["message"]


def test_it_hides_the_endpoint_of_other_stores(alice_client, fabrikam):
    assert press(alice_client, fabrikam).status_code == 404


def test_it_requires_csrf(client, alice, contoso):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(TEST_SERVER_URL.format(contoso.pk), FORM, **JSON).status_code == 403
