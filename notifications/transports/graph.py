"""Office 365 through Microsoft Graph `sendMail`. The store's Token Endpoint field holds the
Graph endpoint (https://graph.microsoft.com/v1.0) and Scope the tenant (contoso.onmicrosoft.com).

The message goes as MIME (base64), so its Message-ID, Auto-Submitted header and alternatives
arrive as built; Graph takes the recipients, Bcc included, from the MIME headers.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from email.message import EmailMessage
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings

from core.http import HttpClient

from .base import RenderedMessage, SendResult, TransportConfig, TransportError
from .diagnostics import smtp_hint
from .errors import network_error
from .oauth import AccessToken, TokenProvider, TokenSpec

log = logging.getLogger(__name__)


def graph_token_spec(config: TransportConfig) -> TokenSpec:
    """App-only (`.default`) unless Username/Password are given (delegated Mail.Send)."""
    tenant = config.scope.strip()
    endpoint = urlsplit(config.token_endpoint.strip())
    if not tenant or endpoint.scheme != "https" or not endpoint.hostname:
        raise TransportError(
            "For Office 365 (Graph) the Token Endpoint must be the Graph endpoint "
            "(https://graph.microsoft.com/v1.0) and the Scope the tenant "
            "(e.g. contoso.onmicrosoft.com).",
            permanent=True,
        )
    root = f"https://{endpoint.netloc}"
    return TokenSpec(
        authority=f"https://{settings.GRAPH_LOGIN_AUTHORITY_HOST}/{tenant}",
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=(f"{root}/Mail.Send",) if config.username else (f"{root}/.default",),
        username=config.username,
        password=config.password,
        timeout=config.timeout,
    )


class GraphTransport:
    """One HTTPS session per transport; calls run in a thread (requests and msal block)."""

    def __init__(self, config: TransportConfig, tokens: TokenProvider | None = None):
        self.config = config
        self.tokens = tokens or TokenProvider(graph_token_spec(config))
        endpoint = config.token_endpoint.strip().rstrip("/")
        self.url = f"{endpoint}/users/{quote(config.from_email)}/sendMail"
        parts = urlsplit(endpoint)
        self.where = f"{parts.hostname}:{parts.port or 443}"
        self.session = HttpClient(config.timeout)

    async def send(self, message: EmailMessage) -> SendResult:
        return await asyncio.to_thread(
            self._send, message.as_bytes(), message.get("Message-ID", "?")
        )

    async def send_rendered(self, message: RenderedMessage) -> SendResult:
        """Graph reads the recipients from the MIME headers, so Bcc goes back in here."""
        if message.partial:  # the headers name people who already got it: never send them again
            raise TransportError(
                "This retry is for some recipients only, and Microsoft Graph sends to every "
                "recipient the message names; it was not sent again.",
                permanent=True,
            )
        mime = message.bcc_header + message.data
        return await asyncio.to_thread(self._send, mime, message.message_id)

    async def close(self) -> None:
        self.session.close()

    def _send(self, mime: bytes, message_id: str) -> SendResult:
        body = base64.b64encode(mime)
        token = self.tokens.get()
        response = self._post(body, token)
        if response.status_code == 401 and token.cached:
            log.info("Graph refused the cached token for %s; fetching a new one", self.where)
            self.tokens.forget(token.value)
            response = self._post(body, self.tokens.get())
        if response.status_code != 202:
            raise graph_error(response)
        log.debug("Sent %s via Graph %s", message_id, self.where)
        return SendResult(reply="202 Accepted")

    def _post(self, body: bytes, token: AccessToken) -> requests.Response:
        headers = {"Authorization": f"Bearer {token.value}", "Content-Type": "text/plain"}
        try:
            return self.session.post(self.url, data=body, headers=headers)
        except requests.RequestException as exc:
            found = network_error(exc, self.where, self.config.timeout)
            raise (
                found or TransportError(f"Graph at {self.where} failed.", permanent=False)
            ) from None


def graph_error(response: requests.Response) -> TransportError:
    """Throttling (429) and server errors are transient; other refusals are final."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    code = error.get("code", "") if isinstance(error, dict) else ""
    text = error.get("message", "") if isinstance(error, dict) else ""
    reply = f"HTTP {response.status_code} {code}: {text}".strip(" :")
    return TransportError(
        f"Microsoft Graph refused the message: {reply}",
        permanent=response.status_code != 429 and response.status_code < 500,
        reply=reply,
        hint=GRAPH_HINTS.get(code, "") or smtp_hint(text),
    )


GRAPH_HINTS = {
    "ErrorAccessDenied": "The app lacks the Mail.Send permission for this mailbox "
    "(grant admin consent, or widen the application access policy).",
    "ErrorInvalidUser": "The From email address is not a mailbox in this tenant.",
    "MailboxNotEnabledForRESTAPI": "The From mailbox has no Exchange Online licence.",
    "InvalidAuthenticationToken": "The token was not accepted: check that the tenant in Scope "
    "matches the app's tenant.",
}
