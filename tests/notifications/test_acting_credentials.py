"""A co-admin cannot collect another admin's sign-in password through the store's SMTP server.

The store uses no SMTP user authentication (the spec's default), so mail goes out with the acting
admin's own sign-in. Alice (a store admin) points Contoso at a capturing SMTP server of her own;
Root (superuser) then edits an object. Real aiosmtpd servers on loopback, the real deliver task.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from identitystores.models import AuditEntry, StoreRole
from notifications import tasks
from notifications.models import NotificationSettings, OutgoingMessage
from tests.conftest import PASSWORD

Status = OutgoingMessage.Status
SETTINGS_URL = "/identity-stores/{}/configurations/notifications/"
ROOT_PASSWORD = "root-sign-in-password-42"


@pytest.fixture
def root_client(db):
    get_user_model().objects.create_superuser("root", "root@dirmgr.test", ROOT_PASSWORD)
    return signed_in("root", ROOT_PASSWORD)


@pytest.fixture
def alice_signed_in(alice):
    return signed_in("alice", PASSWORD)


@pytest.fixture
def sales(contoso, make_object):
    return make_object("group", "Sales", "sales@contoso.test")


def signed_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, "sign-in failed"
    return client


def point_store_at(client: Client, store, server, **extra) -> None:
    """Save the Notifications page with the server's host, port and TLS (no SMTP user auth)."""
    data = {
        "smtp_host": server.host,
        "from_email": "directory@contoso.test",
        "port": str(server.port),
        "auth_type": "basic",
        "to_recipients": "helpdesk@contoso.test",
        **extra,
    }
    if server.mode != "plain":
        data["ssl_enabled"] = "on"
    response = client.post(SETTINGS_URL.format(store.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def edit_object(client: Client, store, group, name: str) -> None:
    """Root's change in the Admin Center: add a contact to the group (notifies To:)."""
    response = client.post(
        f"/identity-stores/{store.pk}/directory/{group.pk}/",
        {"action": "add_member", "member-reference": name},
    )
    assert response.status_code == 302


def deliver_all() -> list[OutgoingMessage]:
    ids = list(OutgoingMessage.objects.values_list("pk", flat=True))
    tasks.deliver(ids)
    return list(OutgoingMessage.objects.order_by("pk"))


def capturing_server(smtp_server, mode: str):
    """Alice's server: offers AUTH PLAIN/LOGIN and records every password sent to it."""
    return smtp_server(mode, users={"alice": PASSWORD})


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_it_never_sends_roots_password_to_the_server_alice_set(
    mode, contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    trap = capturing_server(smtp_server, mode)
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, trap)

    edit_object(root_client, contoso, sales, "carl@partner.test")
    rows = deliver_all()

    assert ROOT_PASSWORD not in trap.auth_secrets
    assert all(user != "root" for _, user in trap.auth_attempts)
    if mode == "plain":  # plain SMTP: the mail goes, without AUTH
        assert [m.auth_user for m in trap.wait_for(1)] == [None]
        assert [row.status for row in rows] == [Status.SENT]
    else:  # TLS to a server Root never confirmed: held, nothing sent
        assert trap.received == []
        [row] = rows
        assert row.status == Status.HELD
        assert "alice" in row.last_error and f"127.0.0.1:{trap.port}" in row.last_error
        assert "root has not confirmed it" in row.last_error
        assert row.attempts == 0


def test_it_holds_rows_when_the_store_is_repointed_after_queueing(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    legit = smtp_server("starttls", users={"root": ROOT_PASSWORD})
    trap = capturing_server(smtp_server, "starttls")
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(root_client, contoso, legit)  # Root's own save trusts it
    edit_object(root_client, contoso, sales, "carl@partner.test")
    assert OutgoingMessage.objects.get().status == Status.QUEUED

    point_store_at(alice_signed_in, contoso, trap)  # before any worker ran
    [row] = deliver_all()

    assert trap.received == [] and legit.received == []
    assert trap.auth_secrets == [] and legit.auth_secrets == []
    assert row.status == Status.HELD
    assert "queued for another SMTP server" in row.last_error
    assert "set by alice on" in row.last_error


def test_it_sends_over_tls_with_auth_once_root_confirms(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    server = smtp_server("starttls", users={"root": ROOT_PASSWORD})
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, server)
    edit_object(root_client, contoso, sales, "carl@partner.test")
    memory_broker()

    page = root_client.get(f"/identity-stores/{contoso.pk}/outbox/").content.decode()
    assert "Confirm the SMTP server of Contoso AD" in page
    assert f"127.0.0.1:{server.port} (SSL)" in page and "set by <strong>alice</strong>" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post(
            f"/identity-stores/{contoso.pk}/smtp-server/confirm/",
            {"destination": f"127.0.0.1:{server.port}/ssl"},
        )
    assert response.status_code == 302
    [task] = memory_broker()
    tasks.deliver(task.ids)

    [received] = server.wait_for(1)
    assert (received.auth_user, received.tls) == ("root", True)
    row = OutgoingMessage.objects.get()
    assert (row.status, row.acting_credentials) == (Status.SENT, "")
    entry = AuditEntry.objects.get(action="SMTP server confirmed for sign-in credentials")
    assert entry.actor_name == "root" and ROOT_PASSWORD not in entry.new_value
    assert (
        "Confirm the SMTP server"
        not in root_client.get(f"/identity-stores/{contoso.pk}/outbox/").content.decode()
    )


def test_a_confirmation_for_a_server_that_changed_again_is_refused(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    first = smtp_server("starttls", users={"root": ROOT_PASSWORD})
    second = capturing_server(smtp_server, "starttls")
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, first)
    edit_object(root_client, contoso, sales, "carl@partner.test")
    point_store_at(alice_signed_in, contoso, second)

    response = root_client.post(
        f"/identity-stores/{contoso.pk}/smtp-server/confirm/",
        {"destination": f"127.0.0.1:{first.port}/ssl"},
        follow=True,
    )

    assert "changed again" in response.content.decode()
    assert OutgoingMessage.objects.get().status == Status.HELD
    assert memory_broker() == []


@pytest.mark.parametrize("rule", ["127.0.0.1:{port}", "127.0.0.0/8", "127.0.0.1"])
def test_the_operator_allow_list_needs_no_confirmation(
    rule, settings, contoso, sales, make_object, alice_signed_in, root_client, smtp_server,
    memory_broker,
):  # fmt: skip
    server = smtp_server("tls", users={"root": ROOT_PASSWORD})
    settings.DIRMGR_ACTING_CREDENTIALS_HOSTS = [rule.format(port=server.port)]
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, server)

    page = root_client.get(SETTINGS_URL.format(contoso.pk)).content.decode()
    edit_object(root_client, contoso, sales, "carl@partner.test")
    deliver_all()

    assert "Confirm the SMTP server" not in page
    assert [m.auth_user for m in server.wait_for(1)] == ["root"]


def test_the_allow_list_does_not_cover_other_ports(
    settings, contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    server = capturing_server(smtp_server, "tls")
    settings.DIRMGR_ACTING_CREDENTIALS_HOSTS = [f"127.0.0.1:{server.port + 1}"]
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, server)

    edit_object(root_client, contoso, sales, "carl@partner.test")
    [row] = deliver_all()

    assert row.status == Status.HELD and server.auth_secrets == []


def test_not_me_fails_the_held_mail_and_wipes_the_password(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    trap = capturing_server(smtp_server, "starttls")
    make_object("contact", "Carl", "carl@partner.test")
    make_object("contact", "Dora", "dora@partner.test")
    point_store_at(alice_signed_in, contoso, trap)
    edit_object(root_client, contoso, sales, "carl@partner.test")

    response = root_client.post(
        f"/identity-stores/{contoso.pk}/smtp-server/not-me/",
        {"destination": f"127.0.0.1:{trap.port}/ssl"},
        follow=True,
    )

    assert "never sent to that server" in response.content.decode()
    row = OutgoingMessage.objects.get()
    assert row.status == Status.DEAD and "Not me" in row.last_error
    raw = OutgoingMessage.objects.values_list("acting_credentials", flat=True)
    assert list(raw) == [""]
    entry = AuditEntry.objects.get(action='SMTP server reported: "Not me"')
    assert entry.actor_name == "root" and "set by alice" in entry.old_value
    assert ROOT_PASSWORD not in f"{entry.old_value}{entry.new_value}"
    assert "Confirm the SMTP server" not in response.content.decode()

    # Later mail Root triggers goes there without his password (as scheduled mail does).
    edit_object(root_client, contoso, sales, "dora@partner.test")
    deliver_all()
    assert [m.auth_user for m in trap.wait_for(1)] == [None]
    assert trap.auth_secrets == []


def test_the_banner_shows_only_to_admins_who_must_answer(
    contoso, fabrikam, bob, alice_signed_in, root_client, smtp_server
):
    server = smtp_server("starttls", users={"alice": PASSWORD})
    carol = get_user_model().objects.create_user("carol", "carol@contoso.test", PASSWORD)
    StoreRole.objects.create(user=carol, store=contoso)
    point_store_at(alice_signed_in, contoso, server)
    urls = [
        SETTINGS_URL.format(contoso.pk),
        f"/identity-stores/{contoso.pk}/outbox/",
        f"/identity-stores/{contoso.pk}/edit/",
    ]

    for url in urls:
        assert "Confirm the SMTP server" not in alice_signed_in.get(url).content.decode()
        assert "Confirm the SMTP server" in root_client.get(url).content.decode()
        assert "Confirm the SMTP server" in signed_in("carol", PASSWORD).get(url).content.decode()
    bob_client = signed_in("bob", PASSWORD)
    for action in ("confirm", "not-me"):
        response = bob_client.post(
            f"/identity-stores/{contoso.pk}/smtp-server/{action}/",
            {"destination": f"127.0.0.1:{server.port}/ssl"},
        )
        assert response.status_code == 404
    assert bob_client.get(f"/identity-stores/{contoso.pk}/smtp-server/confirm/").status_code == 404


def test_the_answers_need_post_and_csrf(contoso, alice, smtp_server):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = f"/identity-stores/{contoso.pk}/smtp-server/confirm/"
    assert client.get(url).status_code == 405
    assert client.post(url, {"destination": "x"}).status_code == 403


def test_plain_smtp_that_demands_auth_says_ssl_must_be_on(
    contoso, sales, make_object, root_client, smtp_server, memory_broker
):
    server = smtp_server("plain", users={"root": ROOT_PASSWORD}, auth_required=True)
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(root_client, contoso, server)
    edit_object(root_client, contoso, sales, "carl@partner.test")

    [row] = deliver_all()

    assert server.auth_secrets == [] and server.received == []
    assert row.status == Status.DEAD
    assert "530" in row.last_error
    assert "sign-in credentials are sent only over SSL: turn on SSL enabled" in row.last_error


def test_test_server_does_not_send_roots_password_to_alices_saved_server(
    contoso, alice_signed_in, root_client, smtp_server
):
    trap = capturing_server(smtp_server, "starttls")
    point_store_at(alice_signed_in, contoso, trap)
    saved = NotificationSettings.objects.get(store=contoso)

    root_client.post(
        f"/identity-stores/{contoso.pk}/configurations/notifications/test-server/",
        {
            "smtp_host": saved.smtp_host,
            "from_email": saved.from_email,
            "port": str(saved.port),
            "ssl_enabled": "on",
            "auth_type": "basic",
            "test_recipient": "root@dirmgr.test",
        },
    )

    assert trap.auth_secrets == []
    assert [m.auth_user for m in trap.wait_for(1)] == [None]


def test_an_actor_never_shows_the_password():
    from directory.changes import Actor

    actor = Actor(None, credentials=f'{{"username": "root", "password": "{ROOT_PASSWORD}"}}')
    assert ROOT_PASSWORD not in repr(actor)
    assert ROOT_PASSWORD not in str(actor)
    assert ROOT_PASSWORD not in f"{actor!r} {[actor]}"


def test_held_mail_is_listed_on_the_store_list_and_not_moved_by_send(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    trap = capturing_server(smtp_server, "starttls")
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, trap)
    edit_object(root_client, contoso, sales, "carl@partner.test")
    row = OutgoingMessage.objects.get()

    listing = root_client.get("/identity-stores/").content.decode()
    alice_signed_in.post(
        f"/identity-stores/{contoso.pk}/outbox/", {"action": "send", "message": [str(row.pk)]}
    )

    assert "waits for you to confirm a changed SMTP server" in listing and "Contoso AD" in listing
    assert "waits for you" not in alice_signed_in.get("/identity-stores/").content.decode()
    assert OutgoingMessage.objects.get().status == Status.HELD


def test_held_mail_goes_without_a_password_once_the_store_turns_ssl_off(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    trap = capturing_server(smtp_server, "starttls")
    plain = smtp_server("plain", users={"alice": PASSWORD})
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, trap)
    edit_object(root_client, contoso, sales, "carl@partner.test")

    with django_capture_on_commit_callbacks(execute=True):
        point_store_at(alice_signed_in, contoso, plain)
    [task] = memory_broker()
    tasks.deliver(task.ids)

    assert [m.auth_user for m in plain.wait_for(1)] == [None]
    assert plain.auth_secrets == [] and trap.auth_secrets == []


def test_saving_the_page_without_touching_alices_server_trusts_nothing(
    contoso, sales, make_object, alice_signed_in, root_client, smtp_server, memory_broker
):
    trap = capturing_server(smtp_server, "starttls")
    make_object("contact", "Carl", "carl@partner.test")
    point_store_at(alice_signed_in, contoso, trap)
    point_store_at(root_client, contoso, trap, cc_recipients="root@dirmgr.test")  # a CC edit

    edit_object(root_client, contoso, sales, "carl@partner.test")
    [row] = deliver_all()

    assert row.status == Status.HELD and trap.auth_secrets == []
    assert (
        "set by <strong>alice</strong>"
        in root_client.get(SETTINGS_URL.format(contoso.pk)).content.decode()
    )
