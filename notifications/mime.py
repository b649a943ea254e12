"""An outbox row as an RFC 5322 message: text + HTML alternatives, UTF-8 safe headers.

Bcc recipients travel as a `Bcc` header on the object only: SMTP sending (aiosmtplib, like
smtplib) puts them in the envelope and strips the header; Graph reads them from it.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from django.utils import timezone

from .models import OutgoingMessage, split_addresses
from .transports.base import TransportError


def build_message(row: OutgoingMessage) -> EmailMessage:
    """The message for `row`; gives the row a Message-ID (saved) the first time."""
    headers = {
        "From": row.from_email,
        "To": ", ".join(split_addresses(row.to)),
        "Cc": ", ".join(split_addresses(row.cc)),
        "Bcc": ", ".join(split_addresses(row.bcc)),
        "Subject": row.subject,
    }
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise TransportError(
                f"The {name} header contains a line break; the message was not sent.",
                permanent=True,
            )
    message = EmailMessage()
    for name, value in headers.items():
        if value:
            message[name] = value
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = ensure_message_id(row)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def ensure_message_id(row: OutgoingMessage) -> str:
    """A stable Message-ID per row, so a retried message keeps its identity."""
    if not row.message_id:
        domain = parseaddr(row.from_email)[1].rpartition("@")[2] or "dirmgr.invalid"
        row.message_id = make_msgid(domain=domain)
        if row.pk:
            OutgoingMessage.objects.filter(pk=row.pk, message_id="").update(
                message_id=row.message_id
            )
    return row.message_id
