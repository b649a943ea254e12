"""The second SMTP server on the Notifications page: saved, validated next to its fields, bound
to the stored secrets (it receives them too), and testable with Test Server."""

import pytest
from django.utils import timezone

from identitystores.models import AuditEntry
from notifications.delivery import lanes
from notifications.models import SendLane
from tests.support.notifications_page import (
    JSON,
    SECRET,
    TEST_SERVER_URL,
    URL,
    configure_basic,
    field_html,
    post,
    saved,
)


def test_it_shows_the_second_server_part(alice_client, contoso):
    page = alice_client.get(URL.format(contoso.pk)).content.decode()
    assert "Second SMTP server (used when the first fails)" in page
    assert "Switch after" in page
    assert 'name="test_server" value="second"' in page


def test_it_saves_the_second_server(alice_client, contoso):
    response = post(
        alice_client,
        contoso,
        second_smtp_host="SMTP2.Contoso.test",
        second_port="2525",
        second_ssl_enabled="on",
        switch_after="10",
    )
    assert response.status_code == 302
    found = saved(contoso)
    assert (found.second_smtp_host, found.second_port, found.second_ssl_enabled) == (
        "smtp2.contoso.test",
        2525,
        True,
    )
    assert found.switch_after == 10
    entry = AuditEntry.objects.get(field="Second SMTP server")
    assert entry.new_value == "smtp2.contoso.test"


def test_blank_port_and_switch_after_keep_their_defaults(alice_client, contoso):
    assert post(alice_client, contoso, second_smtp_host="smtp2.contoso.test").status_code == 302
    assert (saved(contoso).second_port, saved(contoso).switch_after) == (25, 5)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("second_smtp_host", "smtp://x", "host name"),
        ("second_port", "70000", "less than or equal to 65535"),
        ("switch_after", "0", "greater than or equal to 1"),
        ("second_smtp_host", "169.254.169.254", "169.254.169.254"),
    ],
)
def test_it_explains_bad_input_next_to_the_field(alice_client, contoso, field, value, message):
    changes = {"second_smtp_host": "smtp2.contoso.test", field: value}
    response = post(alice_client, contoso, **changes)
    assert response.status_code == 200
    assert message in field_html(response, field)


def test_the_second_server_must_differ_from_the_first(alice_client, contoso):
    response = post(alice_client, contoso, second_smtp_host="smtp.contoso.test", second_port="587")
    assert response.status_code == 200
    assert "is the first one" in field_html(response, "second_smtp_host")


def test_a_new_second_server_does_not_receive_the_stored_password(alice_client, contoso):
    configure_basic(alice_client, contoso)
    response = post(
        alice_client,
        contoso,
        use_smtp_auth="on",
        auth_type="basic",
        smtp_username="svc-notify",
        second_smtp_host="smtp.elsewhere.test",
    )
    assert response.status_code == 200
    assert "the stored SMTP password is not carried over" in field_html(response, "smtp_password")
    assert saved(contoso).second_smtp_host == ""
    assert saved(contoso).smtp_password == SECRET


@pytest.fixture
def loopback_only(settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["127.0.0.0/8", "::1"]
    from django.core.cache import cache

    cache.clear()


def test_test_server_tests_the_second_server(alice_client, contoso, smtp_server, loopback_only):
    first, second = smtp_server(), smtp_server()
    form = {
        "smtp_host": "127.0.0.1",
        "port": str(first.port),
        "from_email": "n@contoso.test",
        "auth_type": "basic",
        "second_smtp_host": "127.0.0.1",
        "second_port": str(second.port),
        "test_recipient": "ops@contoso.test",
        "test_server": "second",
    }
    response = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form, **JSON)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert (first.count, second.count) == (0, 1)
    entry = AuditEntry.objects.get(action="test server succeeded")
    assert entry.old_value == f"127.0.0.1:{second.port} → ops@contoso.test"


def test_test_server_asks_for_a_second_server_first(alice_client, contoso, loopback_only):
    form = {
        "smtp_host": "127.0.0.1",
        "from_email": "n@contoso.test",
        "port": "25",
        "auth_type": "basic",
        "test_recipient": "ops@contoso.test",
        "test_server": "second",
    }
    response = alice_client.post(TEST_SERVER_URL.format(contoso.pk), form, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "second_smtp_host": ["Enter the second SMTP server to test it."]
    }


def test_saving_other_servers_starts_again_on_the_first(alice_client, contoso):
    assert post(alice_client, contoso, second_smtp_host="smtp2.contoso.test").status_code == 302
    SendLane.objects.create(
        store=contoso,
        first_failing_since=timezone.now(),
        failover_since=timezone.now(),
        failover_host="smtp2.contoso.test",
        first_failure="unreachable (Nothing answered at smtp.contoso.test:587)",
    )
    assert lanes.lane_state(contoso.pk).state == "failover"

    assert post(alice_client, contoso, second_smtp_host="smtp3.contoso.test").status_code == 302

    lane = SendLane.objects.get(store=contoso)
    assert (lane.failover_since, lane.first_failing_since, lane.failover_host) == (None, None, "")
    assert lanes.lane_state(contoso.pk).state == "open"


def test_saving_unrelated_settings_keeps_the_failover(alice_client, contoso):
    assert post(alice_client, contoso, second_smtp_host="smtp2.contoso.test").status_code == 302
    since = timezone.now()
    SendLane.objects.create(store=contoso, failover_since=since, failover_host="smtp2.contoso.test")

    changed = post(
        alice_client, contoso, second_smtp_host="smtp2.contoso.test", to_recipients="o@contoso.test"
    )

    assert changed.status_code == 302
    assert SendLane.objects.get(store=contoso).failover_since == since
