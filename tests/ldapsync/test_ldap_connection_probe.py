"""Test connection is no port scanner: it is limited per admin, every URL passes the destination
policy before any connection is opened (at Save, sync and sign-in too), and whatever answers —
or does not — is told in a few plain classes, never with its bytes, never as a 500. And the
stored bind password never goes to a server trusted through a new CA certificate."""

import html
import re

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from core import destinations
from ldapsync.auth import DirectoryUnavailable
from ldapsync.connection import DirectoryError
from ldapsync.failures import NOT_LDAP, NOT_LDAPS, NOTHING_ANSWERED
from ldapsync.models import DirectoryConnection
from ldapsync.sync import sync_store
from tests.support.ldap_forms import field_errors, form_data
from tests.support.ldap_server import SYNC_PASSWORD
from tests.support.servers.foreign import (
    GARBAGE,
    HTTP_ERROR,
    NATS_ERROR,
    NATS_GREETING,
    ForeignService,
)

pytest_plugins = ["tests.support.ldap_server"]

FOREIGN_MARKERS = ("FOREIGNBANNER", "nats-1", "Unknown Protocol", "foreign-", "foreign body")
METADATA_HOSTS = ["169.254.169.254", "[::ffff:169.254.169.254]"]


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def admin_client(client, ldap_admin):
    client.force_login(ldap_admin)
    return client


@pytest.fixture
def foreign():
    started = []

    def start(**behaviour) -> ForeignService:
        started.append(ForeignService(**behaviour))
        return started[-1]

    yield start
    for service in started:
        service.stop()


def page_url(store) -> str:
    return reverse("ldapsync:connection", args=[store.pk])


def press_test(client, store, slapd, urls: str, **overrides):
    data = form_data(
        slapd, action="test", urls=urls, bind_password=SYNC_PASSWORD, timeout=1, **overrides
    )
    return client.post(page_url(store), data)


def result_lines(page: str) -> list[str]:
    return [html.unescape(line) for line in re.findall(r'<li class="failed">✗ (.*?)</li>', page)]


def refusal(host: str, port: int) -> str:
    """What the destination policy says about host:port (checked without connecting)."""
    with pytest.raises(destinations.DestinationRefused) as refused:
        destinations.check(host, port)
    return str(refused.value)


SERVICES = {
    "NATS-like banner": {"greeting": NATS_GREETING, "reply": NATS_ERROR},
    "HTTP error reply": {"reply": HTTP_ERROR},
    "garbage bytes": {"reply": GARBAGE},
    "closes at once": {"close_at_once": True},
    "never answers": {"close_after_reply": False},
}
EXPECTED = {
    ("NATS-like banner", "ldap"): NOT_LDAP,
    ("HTTP error reply", "ldap"): NOT_LDAP,
    ("garbage bytes", "ldap"): NOT_LDAP,
    ("closes at once", "ldap"): NOTHING_ANSWERED,
    ("never answers", "ldap"): NOTHING_ANSWERED,
    ("NATS-like banner", "ldaps"): NOT_LDAPS,
    ("HTTP error reply", "ldaps"): NOT_LDAPS,
    ("garbage bytes", "ldaps"): NOT_LDAPS,
    ("closes at once", "ldaps"): NOTHING_ANSWERED,
    ("never answers", "ldaps"): NOTHING_ANSWERED,
}


@pytest.mark.parametrize(("service", "scheme"), sorted(EXPECTED))
def test_it_classifies_a_foreign_service_without_its_bytes(
    admin_client, ldap_store, slapd, foreign, service, scheme
):
    listener = foreign(**SERVICES[service])
    target = f"{scheme}://127.0.0.1:{listener.port}"

    response = press_test(admin_client, ldap_store, slapd, target)

    page = response.content.decode()
    assert response.status_code == 200
    assert result_lines(page) == [f"{target}: {EXPECTED[service, scheme]}"]
    assert field_errors(page, "urls") == [f"{target}: {EXPECTED[service, scheme]}"]
    assert not [marker for marker in FOREIGN_MARKERS if marker in page]


def test_a_refused_port_reads_the_same_as_a_silent_one(
    admin_client, ldap_store, slapd, foreign, closed_port
):
    silent = foreign(close_after_reply=False)
    refused_url, silent_url = f"ldap://127.0.0.1:{closed_port}", f"ldap://127.0.0.1:{silent.port}"

    page = press_test(admin_client, ldap_store, slapd, f"{refused_url} {silent_url}")

    refused_line, silent_line = result_lines(page.content.decode())
    assert refused_line.removeprefix(refused_url) == silent_line.removeprefix(silent_url)


def test_a_server_with_a_trusted_certificate_speaking_garbage_is_not_ldap(
    admin_client, ldap_store, slapd, foreign, test_ca
):
    """A co-admin may paste a CA of their own: what their TLS server sends is still not shown."""
    hostile = foreign(tls=test_ca.server_context(), reply=GARBAGE)
    target = f"ldaps://127.0.0.1:{hostile.port}"

    response = press_test(
        admin_client, ldap_store, slapd, target, ca_certificate=test_ca.ca_pem.read_text()
    )

    assert response.status_code == 200
    assert result_lines(response.content.decode()) == [f"{target}: {NOT_LDAP}"]


def test_it_limits_test_presses_per_admin(admin_client, ldap_store, slapd, foreign, alice):
    listener = foreign(close_at_once=True)
    target = f"ldap://127.0.0.1:{listener.port}"

    codes = [press_test(admin_client, ldap_store, slapd, target).status_code for _ in range(6)]

    assert codes == [200] * 5 + [429]
    assert listener.accepted == 5
    page = press_test(admin_client, ldap_store, slapd, target).content.decode()
    assert result_lines(page) == [
        "Too many tests: at most 5 a minute. Wait a moment and try again."
    ]
    assert listener.accepted == 5


def test_the_limit_is_per_admin(admin_client, ldap_store, slapd, client, root):
    for _ in range(5):
        press_test(admin_client, ldap_store, slapd, slapd.ldap_url)
    client.force_login(root)

    page = press_test(client, ldap_store, slapd, slapd.ldap_url).content.decode()

    assert "Connection works" in page


@pytest.mark.parametrize("host", METADATA_HOSTS)
def test_it_refuses_a_metadata_address_before_connecting_anywhere(
    admin_client, ldap_store, slapd, foreign, host
):
    listener = foreign(close_at_once=True)
    allowed, refused = f"ldap://127.0.0.1:{listener.port}", f"ldap://{host}"

    response = press_test(admin_client, ldap_store, slapd, f"{allowed} {refused}")

    page = response.content.decode()
    assert response.status_code == 200
    assert field_errors(page, "urls") == [f"{refused}: {refusal(host.strip('[]'), 389)}"]
    assert "test-report" not in page
    assert listener.accepted == 0  # not even the allowed URL: nothing is tried


@pytest.mark.parametrize("host", METADATA_HOSTS)
def test_it_refuses_to_save_a_metadata_address(admin_client, ldap_store, slapd, host):
    refused = f"ldaps://{host}"

    response = admin_client.post(page_url(ldap_store), form_data(slapd, urls=refused))

    assert response.status_code == 200
    assert field_errors(response.content.decode(), "urls") == [
        f"{refused}: {refusal(host.strip('[]'), 636)}"
    ]
    assert DirectoryConnection.objects.get(store=ldap_store).urls == slapd.ldap_url


def store_urls(store, urls: str) -> None:
    """A connection saved before the policy refused its host (or the operator's list changed)."""
    DirectoryConnection.objects.filter(store=store).update(urls=urls, timeout=1)


def test_sync_does_not_connect_to_a_refused_destination(ldap_store):
    store_urls(ldap_store, "ldap://169.254.169.254")

    with pytest.raises(DirectoryError) as failed:
        sync_store(ldap_store)

    assert str(failed.value) == f"ldap://169.254.169.254: {refusal('169.254.169.254', 389)}"


def test_sign_in_does_not_connect_to_a_refused_destination(ldap_store):
    store_urls(ldap_store, "ldaps://169.254.169.254")

    with pytest.raises(DirectoryUnavailable) as failed:
        authenticate(
            RequestFactory().post("/"),
            username="alice",
            password="alice-password",
            store=ldap_store,
        )

    assert str(failed.value) == f"ldaps://169.254.169.254: {refusal('169.254.169.254', 636)}"


def test_it_does_not_carry_the_password_to_a_new_ca_certificate(
    admin_client, ldap_store, slapd, test_ca
):
    other_ca = test_ca.ca_pem.read_text()

    for action in ("save", "test"):
        response = admin_client.post(
            page_url(ldap_store), form_data(slapd, action=action, ca_certificate=other_ca)
        )

        page = response.content.decode()
        assert field_errors(page, "bind_password") == [
            "The URLs, bind DN or CA certificate changed, so the stored password is not carried "
            "over. Enter the bind password again."
        ]
        assert "test-report" not in page
    conn = DirectoryConnection.objects.get(store=ldap_store)
    assert conn.ca_certificate == slapd.ca_path.read_text()
    assert conn.bind_password == SYNC_PASSWORD


def test_a_certificate_pasted_again_with_other_line_ends_keeps_the_password(
    admin_client, ldap_store, slapd
):
    pasted = slapd.ca_path.read_text().replace("\n", "\r\n")

    response = admin_client.post(page_url(ldap_store), form_data(slapd, ca_certificate=pasted))

    assert response.status_code == 302
    assert DirectoryConnection.objects.get(store=ldap_store).bind_password == SYNC_PASSWORD


def test_it_bounds_the_timeout(admin_client, ldap_store, slapd):
    response = admin_client.post(page_url(ldap_store), form_data(slapd, timeout=3600))

    assert field_errors(response.content.decode(), "timeout") == [
        "Enter a timeout from 1 to 60 seconds."
    ]
