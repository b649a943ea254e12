"""Signing in: credentials kept only encrypted, repeated failures locked out."""

from tests.conftest import PASSWORD


def sign_in(client, password, ip="10.1.2.3"):
    return client.post("/login/", {"username": "alice", "password": password}, REMOTE_ADDR=ip)


def test_it_locks_out_after_five_failures(client, alice):
    codes = [sign_in(client, "wrong-password").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    locked = sign_in(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


def test_it_does_not_lock_out_other_addresses(client, alice):
    for _ in range(5):
        sign_in(client, "wrong-password", ip="10.9.9.9")
    assert sign_in(client, PASSWORD, ip="10.1.1.1").status_code == 302


def test_it_keeps_the_sign_in_password_only_encrypted(client, alice):
    from identitystores.credentials import SESSION_KEY, from_session

    sign_in(client, PASSWORD)
    assert PASSWORD not in client.session[SESSION_KEY]
    request = type("R", (), {"session": client.session})()
    assert from_session(request) == ("alice", PASSWORD)


def test_it_forgets_the_credentials_on_sign_out(client, alice):
    from identitystores.credentials import SESSION_KEY

    sign_in(client, PASSWORD)
    client.post("/logout/")
    assert SESSION_KEY not in client.session
