"""Hostile input on every form: never a 500, never a half-saved record, never a header break."""

from ipaddress import ip_address

import pytest
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import destinations
from identitystores.models import IdentityStore, Portal
from notifications.addresses import normalise_address, normalise_host
from notifications.models import NotificationSettings

NASTY = st.sampled_from(
    [
        "",
        " ",
        "\r\n",
        "a@b.c\r\nBcc: x@evil.test",
        "\x00",
        "a" * 5000,
        "ｓｍｔｐ.example.com",
        "smtp.еxample.com",
        "xn--80ak6aa92e.com",
        '"a,b"@x.test',
        "a@b.c, d@e.f",
        "a@b.c;;;b@c.d",
        "-1",
        "0",
        "99999999999999999999",
        "1e3",
        "NaN",
        "<script>alert(1)</script>",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "日本語@例え.jp",
        "user@[127.0.0.1]",
        "%0d%0aBcc:x@y.z",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=300))
BOOL = st.sampled_from(["", "on", "off", "\x00", "true"])
FIELDS = {
    "smtp_host": TEXT,
    "from_email": TEXT,
    "port": TEXT,
    "ssl_enabled": BOOL,
    "use_smtp_auth": BOOL,
    "auth_type": st.one_of(st.sampled_from(["basic", "oauth2"]), TEXT),
    "smtp_username": TEXT,
    "smtp_password": TEXT,
    "token_endpoint": TEXT,
    "client_id": TEXT,
    "client_secret": TEXT,
    "scope": TEXT,
    "oauth_username": TEXT,
    "oauth_password": TEXT,
    "to_recipients": TEXT,
    "cc_recipients": TEXT,
    "notify_actor": BOOL,
    "portal": TEXT,
    "ml_days_before_enabled": BOOL,
    "ml_days_before": TEXT,
    "mb_same_as_membership": BOOL,
    "mb_days_before_enabled": BOOL,
    "mb_days_before": TEXT,
}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_clean_settings(s: NotificationSettings) -> None:
    """What was saved is exactly what validation allows: no header can be smuggled through."""
    assert normalise_host(s.smtp_host) == s.smtp_host
    assert normalise_address(s.from_email) == s.from_email
    for address in s.to_list + s.cc_list:
        assert normalise_address(address) == address
    assert 1 <= s.port <= 65535
    for value in (s.smtp_username, s.oauth_username, s.client_id, s.scope):
        assert "\r" not in value and "\n" not in value and "\x00" not in value


@FUZZ
@given(data=st.fixed_dictionaries({}, optional=FIELDS))
def test_it_never_fails_on_the_notifications_page(alice_client, contoso, data):
    before = list(NotificationSettings.objects.filter(store=contoso).values())
    response = alice_client.post(
        f"/identity-stores/{contoso.pk}/configurations/notifications/", data
    )
    assert response.status_code in (200, 302)
    after = list(NotificationSettings.objects.filter(store=contoso).values())
    if response.status_code == 200:
        assert after == before, "a rejected form changed the stored settings"
    else:
        assert_clean_settings(NotificationSettings.objects.get(store=contoso))


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={**FIELDS, "test_recipient": TEXT}))
def test_it_never_fails_on_test_server(alice_client, contoso, data, settings, monkeypatch):
    # Every name "resolves" to a documentation address outside the allow-list: the button is
    # refused before any connection, and no fuzzed name is ever looked up in real DNS.
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["192.0.2.1:25"]
    monkeypatch.setattr(destinations, "resolve", lambda host, port: [ip_address("192.0.2.99")])
    response = alice_client.post(
        f"/identity-stores/{contoso.pk}/configurations/notifications/test-server/",
        data,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code in (200, 400, 403, 429)
    assert response.json()["ok"] is False


@FUZZ
@given(name=TEXT, type_=TEXT, tz=TEXT, enabled=BOOL)
def test_it_never_fails_creating_a_store(alice_client, alice, name, type_, tz, enabled):
    alice.user_permissions.add(Permission.objects.get(codename="add_identitystore"))
    count = IdentityStore.objects.count()
    response = alice_client.post(
        "/identity-stores/new/", {"name": name, "type": type_, "time_zone": tz, "enabled": enabled}
    )
    assert response.status_code in (200, 302)
    assert IdentityStore.objects.count() == count + (response.status_code == 302)


@FUZZ
@given(name=TEXT, url=TEXT, stores=st.lists(TEXT, max_size=3))
def test_it_never_fails_creating_a_portal(alice_client, contoso, name, url, stores):
    count = Portal.objects.count()
    response = alice_client.post("/portals/new/", {"name": name, "url": url, "stores": stores})
    assert response.status_code in (200, 302)
    assert Portal.objects.count() == count + (response.status_code == 302)


@pytest.mark.parametrize("path", ["/login/"])
def test_it_never_fails_signing_in_with_garbage(client, db, path):
    for value in ["\x00", "a" * 10000, "\r\n", "' OR 1=1 --"]:
        response = client.post(path, {"username": value, "password": value})
        assert response.status_code in (200, 429)


def test_it_refuses_ids_no_column_can_hold(alice_client, contoso):
    huge = "99999999999999999999"
    response = alice_client.post(
        "/portals/new/", {"name": "P", "url": "https://p.test/", "stores": [huge]}
    )
    assert "Select a valid choice" in response.content.decode()
    response = alice_client.post(
        f"/identity-stores/{contoso.pk}/configurations/notifications/",
        {
            "smtp_host": "h.test",
            "from_email": "a@h.test",
            "port": "25",
            "auth_type": "basic",
            "portal": huge,
        },
    )
    assert "Select a valid choice" in response.content.decode()
