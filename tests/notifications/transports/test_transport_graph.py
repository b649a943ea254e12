"""Office 365 through Graph sendMail: a token for the tenant in Scope from the loopback token
endpoint (GRAPH_LOGIN_AUTHORITY_HOST points at it), then the loopback Graph endpoint."""

import asyncio
import email
import email.policy

import pytest

from notifications.transports import TransportError, get_transport
from tests.support.servers.aio import run
from tests.support.transports import deliver, failure, graph_config, notification


@pytest.fixture
def idp(identity_server, settings):
    server = identity_server(users={"mailer@contoso.test": "Mailbox-pa55word!"})
    settings.GRAPH_LOGIN_AUTHORITY_HOST = server.netloc
    return server


def test_it_sends_the_mime_message_through_graph(idp):
    message = notification(Cc="manager@contoso.test", Bcc="audit@contoso.test")
    (result,) = deliver(graph_config(idp), message)
    (sent,) = idp.wait_for_graph(1)
    parsed = email.message_from_bytes(sent.mime, policy=email.policy.default)
    assert result.reply == "202 Accepted"
    assert sent.mailbox == "notifications@contoso.test"
    assert sent.content_type == "text/plain"
    assert (parsed["Subject"], parsed["Cc"], parsed["Bcc"]) == (
        "Group changed",
        "manager@contoso.test",
        "audit@contoso.test",
    )
    assert idp.token_calls == [
        {"grant_type": "client_credentials", "scope": f"{idp.base_url}/.default", "username": ""}
    ]


def test_it_uses_the_password_grant_when_a_user_is_given(idp):
    config = graph_config(idp, username="mailer@contoso.test", password="Mailbox-pa55word!")
    deliver(config)
    idp.wait_for_graph(1)
    assert idp.token_calls[0]["grant_type"] == "password"
    assert f"{idp.base_url}/Mail.Send" in idp.token_calls[0]["scope"].split()


def test_it_fetches_one_token_for_many_messages(idp):
    config = graph_config(idp)
    for _ in range(3):
        deliver(config, *[notification(subject=f"n{i}") for i in range(3)])
    assert len(idp.wait_for_graph(9)) == 9
    assert len(idp.token_calls) == 1


def test_it_replaces_a_refused_cached_token_once(idp):
    config = graph_config(idp)
    deliver(config)
    idp.revoke_all()
    deliver(config)
    assert len(idp.wait_for_graph(2)) == 2
    assert len(idp.token_calls) == 2


def test_it_sends_concurrently_from_one_transport(idp):
    async def scenario():
        transport = get_transport(graph_config(idp))
        await asyncio.gather(*[transport.send(notification(subject=f"n{i}")) for i in range(6)])
        await transport.close()

    run(scenario())
    assert len(idp.wait_for_graph(6)) == 6


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (403, "ErrorAccessDenied", True),
        (404, "ErrorInvalidUser", True),
        (429, "ApplicationThrottled", False),
        (503, "ServiceUnavailable", False),
    ],
)
def test_it_classifies_graph_refusals(idp, status, code, permanent):
    idp.graph_fail = (status, {"error": {"code": code, "message": "Refused here."}})
    error = failure(graph_config(idp))
    assert error.permanent is permanent
    assert (
        error.message == f"Microsoft Graph refused the message: HTTP {status} {code}: Refused here."
    )


def test_it_explains_access_denied(idp):
    idp.graph_fail = (403, {"error": {"code": "ErrorAccessDenied", "message": "Access denied"}})
    assert "Mail.Send" in failure(graph_config(idp)).hint


def test_it_reports_an_unknown_tenant(idp):
    error = failure(graph_config(idp, scope="fabrikam.onmicrosoft.com"))
    assert error.permanent and "is not an OAuth 2.0 token endpoint" in error.message


def test_it_needs_the_tenant_in_scope(idp):
    error = failure(graph_config(idp, scope=""))
    assert error.message.startswith("For Office 365 (Graph) the Token Endpoint must be")


def test_it_reports_an_unreachable_graph_endpoint(idp, closed_port):
    error = failure(graph_config(idp, token_endpoint=f"https://127.0.0.1:{closed_port}/v1.0"))
    assert error.message.startswith(
        f"Nothing answered at 127.0.0.1:{closed_port}: the connection was refused or timed out"
    )


def test_it_refuses_a_retry_meant_for_some_recipients_only(idp):
    """Graph sends to everyone the headers name: a follow-up for refused recipients would reach
    those who already got the message, so it is not sent."""
    from notifications.delivery import render_message
    from notifications.models import OutgoingMessage

    row = OutgoingMessage(
        from_email="notifications@contoso.test",
        to="ann@contoso.test",
        cc="carl@contoso.test",
        subject="Member added",
        body_text="Ann was added.",
        message_id="<follow-up@contoso.test>",
        envelope="carl@contoso.test",
    )
    message = render_message(row)
    assert message.recipients == ("carl@contoso.test",)

    async def scenario():
        transport = get_transport(graph_config(idp))
        try:
            return await transport.send_rendered(message)
        finally:
            await transport.close()

    with pytest.raises(TransportError) as caught:
        run(scenario())

    assert caught.value.permanent
    assert "some recipients only" in caught.value.message
    assert idp.graph_messages == []
