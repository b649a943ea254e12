"""The SMTP side of the catcher: an aiosmtpd handler that stores every message it is given."""

from __future__ import annotations

import logging
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from . import parsing
from .models import CaughtMessage

log = logging.getLogger(__name__)


def store(peer: str, envelope_from: str, envelope_to: list[str], raw: bytes) -> CaughtMessage:
    """Save one received message with the fields the Mailbox list shows."""
    close_old_connections()
    info = parsing.summary(BytesParser(policy=policy.default).parsebytes(raw))
    return CaughtMessage.objects.create(
        peer=peer,
        envelope_from=envelope_from,
        envelope_to="\n".join(envelope_to),
        raw=raw,
        subject=info.subject,
        from_header=info.from_header,
        to_header=info.to_header,
        date=info.date,
    )


class CatcherHandler:
    """Accepts any sender and any recipient; nothing is relayed anywhere."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        raw = envelope.original_content or envelope.content or b""
        message = await sync_to_async(store)(
            peer, envelope.mail_from or "", list(envelope.rcpt_tos), bytes(raw)
        )
        log.info(
            "caught message id=%s from=%s recipients=%d",
            message.pk,
            message.envelope_from,
            len(envelope.rcpt_tos),
        )
        return "250 Message accepted for delivery"
