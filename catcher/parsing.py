"""Reading a received message: the fields the list shows, and the parts the message page shows.

Parsing never raises on odd mail: the catcher must store whatever a buggy sender produces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Summary:
    subject: str
    from_header: str
    to_header: str
    date: datetime | None


@dataclass(frozen=True)
class Parts:
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[str]


def summary(message: EmailMessage) -> Summary:
    return Summary(
        subject=header(message, "Subject")[:500],
        from_header=header(message, "From")[:500],
        to_header=", ".join(filter(None, (header(message, "To"), header(message, "Cc")))),
        date=_date(message),
    )


def parts(message: EmailMessage) -> Parts:
    return Parts(
        headers=[(name, str(value)) for name, value in message.items()],
        text=_body(message, "plain"),
        html=_body(message, "html"),
        attachments=[a.get_filename() or a.get_content_type() for a in message.iter_attachments()],
    )


def header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, ""))
    except (ValueError, IndexError):
        return ""


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(header(message, "Date"))
    except (TypeError, ValueError):
        return None
    # "-0000" means "zone unknown" (RFC 5322); read it as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        content = part.get_payload(decode=True).decode("utf-8", errors="replace")
    return content.replace("\r\n", "\n")  # SMTP delivers CRLF; pages want plain newlines
