"""The destination policy against real loopback servers: a foreign service's bytes never come
back out (Test Server, Outbox, history), redirects never carry the client secret, connections
go to the checked address, and delivery refuses a saved destination the policy refuses."""

import dataclasses
import socket

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.http import HttpClient
from identitystores.models import AuditEntry
from notifications import delivery
from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message
from tests.support.transports import failure, oauth_config

TEST_SERVER = "/identity-stores/{}/configurations/notifications/test-server/"
NATS_INFO = b'INFO {"server_id":"NDX7-NATS-BANNER","version":"2.10.4","auth_required":true}\r\n'
FTP_GREETING = b"220 files.internal ProFTPD FTP-BANNER-7c1 ready\r\n"
FTP_REPLY = b"500 FTP-REPLY-7c1: command not understood\r\n"
REBIND_NAME = "mail.rebind.test"


@pytest.fixture(autouse=True)
def loopback_only(settings):
    """Whatever the code under test does, nothing here may leave loopback."""
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["127.0.0.0/8", "::1", REBIND_NAME]
    cache.clear()  # Test Server's rate limit


def press(client, store, **changes):
    form = {
        "smtp_host": "127.0.0.1",
        "from_email": "n@contoso.test",
        "port": "25",
        "auth_type": "basic",
        "test_recipient": "ops@contoso.test",
    }
    return client.post(
        TEST_SERVER.format(store.pk), {**form, **changes}, HTTP_ACCEPT="application/json"
    )


def history(store) -> str:
    entries = AuditEntry.objects.filter(store=store)
    assert entries, "nothing was recorded"
    return " ".join(f"{e.action} {e.field} {e.old_value} {e.new_value}" for e in entries)


def queue_one(store_settings) -> OutgoingMessage:
    message = new_message(
        store_settings.store,
        store_settings,
        subject="Group changed",
        body_text="Body",
        body_html="<p>Body</p>",
        to=["user@contoso.test"],
    )
    (row,) = enqueue([message])
    delivery.deliver([row.pk])
    return OutgoingMessage.objects.get(pk=row.pk)


# -- a foreign service's bytes are never echoed ---------------------------------------------------


def test_test_server_says_not_an_smtp_server_and_never_shows_the_banner(
    alice_client, contoso, listener
):
    nats = listener(banner=NATS_INFO)
    response = press(alice_client, contoso, port=nats.port)
    assert response.json()["ok"] is False
    assert response.json()["message"] == (
        f"127.0.0.1:{nats.port} is not an SMTP server: what answered there does not speak SMTP. "
        "Check the SMTP Server and Port."
    )
    for text in (response.content.decode(), history(contoso)):
        assert "NATS" not in text and "server_id" not in text and "INFO" not in text


def test_test_server_shows_only_the_reply_code_of_a_service_that_fails_ehlo(
    alice_client, contoso, listener
):
    ftp = listener(banner=FTP_GREETING, reply=FTP_REPLY)
    response = press(alice_client, contoso, port=ftp.port)
    assert response.json()["message"] == "The server refused the greeting (EHLO): 500"
    assert "FTP-" not in response.content.decode() and "FTP-" not in history(contoso)


def test_refused_silent_and_mute_ports_read_alike(smtp_server, closed_port, silent_port, listener):
    """Closed, filtered or open-but-not-SMTP: the admin cannot tell a port scan's answers apart
    (the precise reason is in the server log)."""
    mute = listener(close_at_once=True)  # accepts, hangs up without a word
    base = smtp_server().transport_config(timeout=0.5)
    messages = [
        failure(dataclasses.replace(base, port=port)).message.replace(str(port), "PORT")
        for port in (closed_port, silent_port, mute.port)
    ]
    assert (
        messages
        == [
            "Nothing answered at 127.0.0.1:PORT: the connection was refused or timed out. "
            "Check the host name and port, and that a firewall lets this server connect there."
        ]
        * 3
    )


def test_the_outbox_never_shows_the_banner_and_does_not_retry(alice_client, contoso_mail, listener):
    nats = listener(banner=NATS_INFO)
    contoso_mail.port = nats.port
    contoso_mail.save()
    row = queue_one(contoso_mail)
    assert row.status == OutgoingMessage.Status.DEAD and row.attempts == 1
    assert "is not an SMTP server" in row.last_error
    page = alice_client.get(
        reverse("notifications:outbox", args=[contoso_mail.store.pk]) + "?show=all"
    )
    assert "is not an SMTP server" in page.content.decode()
    for text in (row.last_error, row.server_reply, page.content.decode(), history(row.store)):
        assert "NATS" not in text and "server_id" not in text


# -- delivery applies the policy to what was saved ------------------------------------------------


def test_delivery_refuses_a_saved_destination_without_connecting(contoso_mail, listener, settings):
    target = listener()
    contoso_mail.port = target.port
    contoso_mail.save()  # saved before the operator denied it
    settings.DIRMGR_DESTINATIONS_DENIED = [f"127.0.0.1:{target.port}"]
    row = queue_one(contoso_mail)
    assert row.status == OutgoingMessage.Status.DEAD and row.attempts == 1
    assert "DIRMGR_DESTINATIONS_DENIED" in row.last_error
    assert target.connections == 0


def test_delivery_refuses_a_saved_metadata_address(contoso_mail):
    contoso_mail.smtp_host = "::ffff:169.254.169.254"
    contoso_mail.save()
    row = queue_one(contoso_mail)
    assert row.status == OutgoingMessage.Status.DEAD and row.attempts == 1
    assert "link-local, cloud metadata or reserved address" in row.last_error


# -- redirects -------------------------------------------------------------------------------------


def test_a_redirecting_token_endpoint_never_forwards_the_client_secret(
    smtp_server, identity_server, listener, test_ca, settings
):
    elsewhere = listener(
        host="127.0.0.2", tls_context=test_ca.server_context(test_ca.ca.issue_cert("127.0.0.2"))
    )
    settings.DIRMGR_DESTINATIONS_DENIED = ["127.0.0.2"]
    idp = identity_server()
    idp.redirect_token_to = f"https://127.0.0.2:{elsewhere.port}/{idp.tenant}/oauth2/v2.0/token"
    server = smtp_server("starttls", token_checker=idp.is_valid)
    error = failure(oauth_config(server, idp, timeout=2.0))
    assert error.permanent
    assert error.message == (
        f"{idp.netloc} answered with a redirect (HTTP 307), which this Admin Center does not "
        "follow: enter the address that answers directly."
    )
    assert elsewhere.connections == 0
    assert idp.client_secret.encode() not in elsewhere.received


# -- DNS rebinding ---------------------------------------------------------------------------------


@pytest.fixture
def rebinding(monkeypatch):
    """REBIND_NAME resolves to 127.0.0.1 on the 1st, 3rd … lookup and to 127.0.0.2 otherwise."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != REBIND_NAME:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return real("127.0.0.1" if len(lookups) % 2 else "127.0.0.2", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_test_server_connects_only_to_an_address_it_checked(
    alice_client, contoso, smtp_server, listener, rebinding, settings
):
    server = smtp_server()
    decoy = listener(host="127.0.0.2", bind_port=server.port, banner=b"220 decoy ESMTP\r\n")
    settings.DIRMGR_DESTINATIONS_DENIED = ["127.0.0.2"]
    press(alice_client, contoso, smtp_host=REBIND_NAME, port=server.port)
    assert rebinding, "the name was never looked up"
    assert decoy.connections == 0


def test_the_smtp_transport_resolves_once_and_connects_there(smtp_server, listener, rebinding):
    from tests.support.transports import deliver

    server = smtp_server()
    decoy = listener(host="127.0.0.2", bind_port=server.port, banner=b"220 decoy ESMTP\r\n")
    deliver(server.transport_config(host=REBIND_NAME))
    assert len(server.wait_for(1)) == 1
    assert rebinding == [REBIND_NAME] and decoy.connections == 0


def test_https_requests_go_to_the_checked_address_and_verify_the_name(
    identity_server, test_ca, listener, rebinding
):
    idp = identity_server(tls_context=test_ca.server_context(test_ca.ca.issue_cert(REBIND_NAME)))
    port = idp.netloc.rsplit(":", 1)[1]
    decoy = listener(host="127.0.0.2", bind_port=int(port))
    url = f"https://{REBIND_NAME}:{port}/{idp.tenant}/v2.0/.well-known/openid-configuration"
    with HttpClient(timeout=5) as client:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["issuer"]
    assert rebinding == [REBIND_NAME] and decoy.connections == 0
