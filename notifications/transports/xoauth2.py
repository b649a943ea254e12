"""SMTP with `AUTH XOAUTH2` (Exchange Online): the SMTP transport with an OAuth 2.0 token.

A 535 for a token that came from the cache (revoked, or the mailbox's rights changed since it
was issued) drops that token, fetches a fresh one and tries once more; a 535 for a fresh
token is final.
"""

from __future__ import annotations

import asyncio
import logging

import aiosmtplib

from .base import TransportConfig, TransportError
from .oauth import TokenProvider, smtp_token_spec
from .smtp import SMTPTransport

log = logging.getLogger(__name__)


class XOAuth2Transport(SMTPTransport):
    def __init__(self, config: TransportConfig, tokens: TokenProvider | None = None):
        super().__init__(config)
        self.tokens = tokens or TokenProvider(smtp_token_spec(config))
        # Delegated tokens act for the signed-in user; app-only tokens for the From mailbox.
        self.user = config.username or config.from_email

    async def _authenticate(self, smtp: aiosmtplib.SMTP) -> None:
        if "xoauth2" not in smtp.server_auth_methods:
            raise TransportError(
                f"{self.where} does not offer AUTH XOAUTH2, so OAuth 2.0 cannot be used "
                "with this server.",
                permanent=True,
            )
        token = await asyncio.to_thread(self.tokens.get)
        try:
            await smtp.auth_xoauth2(self.user, token.value)
        except aiosmtplib.SMTPAuthenticationError as exc:
            if exc.code != 535 or not token.cached:
                raise
            log.info(
                "%s refused the cached token for %s; fetching a new one", self.where, self.user
            )
            await asyncio.to_thread(self.tokens.forget, token.value)
            fresh = await asyncio.to_thread(self.tokens.get)
            await smtp.auth_xoauth2(self.user, fresh.value)
