"""The SMTP side of the catcher: an aiosmtpd handler that stores every message it is given."""

from __future__ import annotations

import logging
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from core import mail_origin
from identitystores.models import IdentityStore

from . import parsing
from .models import CaughtMessage

log = logging.getLogger(__name__)


def accept_any_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    """AUTH PLAIN/LOGIN with any credentials succeeds, so stores set to Basic work against the
    catcher too. Only the login name is kept (to show who signed in); the password is dropped."""
    login = auth_data.login if isinstance(auth_data, LoginPassword) else b""
    return AuthResult(success=True, auth_data=login.decode("utf-8", errors="replace"))


def store(
    peer: str, auth_login: str, envelope_from: str, envelope_to: list[str], raw: bytes
) -> CaughtMessage:
    """Save one received message with the fields the Mailbox list shows."""
    close_old_connections()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    info = parsing.summary(message)
    return CaughtMessage.objects.create(
        store=_sending_store(parsing.header(message, "Message-ID")),
        peer=peer,
        auth_login=auth_login,
        envelope_from=envelope_from,
        envelope_to="\n".join(envelope_to),
        raw=raw,
        subject=info.subject,
        from_header=info.from_header,
        to_header=info.to_header,
        date=info.date,
    )


def _sending_store(message_id: str) -> IdentityStore | None:
    """The store that sealed the Message-ID, if it still exists; else nobody's (superusers')."""
    store_id = mail_origin.store_id_of(message_id)
    return IdentityStore.objects.filter(pk=store_id).first() if store_id else None


class CatcherHandler:
    """Accepts any sender and any recipient; nothing is relayed anywhere."""

    def controller_options(self) -> dict[str, object]:
        """aiosmtpd options: AUTH offered on plain connections, never required; 25 MB messages."""
        return {
            "authenticator": accept_any_login,
            "auth_required": False,
            "auth_require_tls": False,
            "data_size_limit": 25 * 1024 * 1024,
        }

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        raw = envelope.original_content or envelope.content or b""
        login = session.auth_data if isinstance(session.auth_data, str) else ""
        message = await sync_to_async(store)(
            peer, login, envelope.mail_from or "", list(envelope.rcpt_tos), bytes(raw)
        )
        log.info(
            "caught message id=%s from=%s recipients=%d",
            message.pk,
            message.envelope_from,
            len(envelope.rcpt_tos),
        )
        return "250 Message accepted for delivery"
