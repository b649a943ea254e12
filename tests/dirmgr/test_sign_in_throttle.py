"""Sign-in throttling behind a reverse proxy: the client address, per-address and per-username
limits, and familiar addresses that an attacker cannot lock out."""

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks

from tests.conftest import PASSWORD

PROXY = "172.18.0.1"


def sign_in(client, username, password, ip, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Dozens of sign-ins per test: a cheap hasher keeps them quick (the limits are what count)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def users(db):
    make = get_user_model().objects.create_user
    return [make(f"user{n}", password=f"own-password-{n}") for n in range(15)]


def test_it_ignores_a_spoofed_forwarded_for_without_a_trusted_proxy(client, alice):
    for n in range(5):
        sign_in(client, "alice", "wrong", ip="10.9.9.9", forwarded=f"203.0.113.{n}")

    # Each guess counted against the real peer address: it is locked, whatever it claims.
    locked = sign_in(client, "alice", PASSWORD, ip="10.9.9.9", forwarded="198.51.100.7")
    assert locked.status_code == 429


def test_it_counts_the_client_behind_a_trusted_proxy(client, alice, behind_proxy):
    codes = [sign_in(client, "alice", "wrong", PROXY, "203.0.113.9").status_code for _ in range(5)]

    assert codes == [200, 200, 200, 200, 429]
    # Every client shares the proxy's address; the real Alice, elsewhere, still signs in.
    assert sign_in(client, "alice", PASSWORD, PROXY, "198.51.100.7").status_code == 302


def test_it_believes_only_the_entry_the_trusted_proxy_appended(client, alice, behind_proxy):
    for n in range(5):
        sign_in(client, "alice", "wrong", PROXY, f"198.51.100.7, 203.0.113.{n}")

    # The attacker wrote Alice's address in front; the proxy appended the attacker's real ones.
    assert sign_in(client, "alice", PASSWORD, PROXY, "198.51.100.7").status_code == 302


def test_it_ignores_the_header_from_a_peer_that_is_not_the_proxy(client, alice, behind_proxy):
    for n in range(5):
        sign_in(client, "alice", "wrong", "10.7.7.7", f"203.0.113.{n}")

    assert sign_in(client, "alice", PASSWORD, "10.7.7.7", "198.51.100.8").status_code == 429


def test_it_locks_an_address_spraying_one_password_across_usernames(client, users, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 10
    codes = [sign_in(client, u.username, "Spring2026!", "10.6.6.6").status_code for u in users]

    assert codes[:9] == [200] * 9
    assert set(codes[9:]) == {429}
    # The lock is on the address: a right password from it is refused too, not from elsewhere.
    assert sign_in(client, "user14", "own-password-14", "10.6.6.6").status_code == 429
    assert sign_in(client, "user14", "own-password-14", "10.5.5.5").status_code == 302


def test_it_limits_one_username_guessed_from_many_addresses(client, alice, settings):
    settings.SIGNIN_USERNAME_FAILURE_LIMIT = 8
    codes = [sign_in(client, "alice", "wrong", f"203.0.113.{n}").status_code for n in range(10)]

    assert codes[:7] == [200] * 7
    assert set(codes[7:]) == {429}
    # Another spelling of the name is the same name.
    assert sign_in(client, " ALICE ", PASSWORD, "203.0.113.50").status_code == 429


def test_a_locked_username_still_signs_in_from_a_familiar_address(client, alice, settings):
    settings.SIGNIN_USERNAME_FAILURE_LIMIT = 8
    assert sign_in(client, "alice", PASSWORD, "198.51.100.7").status_code == 302
    client.logout()
    for n in range(10):
        sign_in(client, "alice", "wrong", f"203.0.113.{n}")

    assert sign_in(client, "alice", PASSWORD, "198.51.100.99").status_code == 429
    assert sign_in(client, "alice", PASSWORD, "198.51.100.7").status_code == 302


def test_the_attackers_address_does_not_lock_the_real_user(client, alice):
    for _ in range(10):
        sign_in(client, "alice", "wrong", "203.0.113.66")

    assert sign_in(client, "alice", PASSWORD, "203.0.113.66").status_code == 429
    assert sign_in(client, "alice", PASSWORD, "198.51.100.7").status_code == 302


@pytest.mark.parametrize(
    ("proxies", "count"), [(["10.0.0.0/33"], 1), (["proxy.internal"], 1), ([PROXY], 0)]
)
def test_a_mistyped_proxy_setting_fails_the_start_up_checks(settings, proxies, count):
    settings.TRUSTED_PROXIES = proxies
    settings.TRUSTED_PROXY_COUNT = count

    errors = [e for e in run_checks() if e.id == "dirmgr.E001"]

    assert len(errors) == 1
    assert errors[0].msg.startswith("DIRMGR_TRUSTED_PROX")
