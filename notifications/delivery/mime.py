"""An outbox row as the bytes an SMTP server receives: RFC 5322 headers, text + HTML alternatives.

Rendering is done once per row, directly to wire form, because building an
`email.message.EmailMessage` (default policy) and flattening it cost four times as much as sending
it. The pieces are the standard library's own encoders:

- headers: `email.header.Header` (RFC 2047 encoded-words for non-ASCII text, folded at 78
  columns), addresses as `display-name <addr>` with the name encoded the same way and the domain
  in IDNA form; line breaks in a header value are refused, never passed through;
- bodies: CRLF line endings; 7bit when ASCII in lines of at most 998 characters, otherwise
  UTF-8 quoted-printable (`binascii.b2a_qp`, lines ≤ 76 characters);
- multipart/alternative with a random 128-bit boundary (it starts with "=_", which
  quoted-printable text never contains: QP writes every "=" as "=3D").

Bcc recipients go into the envelope only. Transports that take recipients from the headers
(Graph) add `RenderedMessage.bcc_header` themselves. A follow-up row (recipients a server refused
for now) keeps the message's headers and goes, in the envelope, only to its `envelope`.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from email.header import Header
from email.utils import format_datetime, parseaddr

from django.utils import timezone

from core import mail_origin

from ..models import OutgoingMessage, split_addresses
from ..transports.base import RenderedMessage, TransportError

CRLF = "\r\n"
MAX_HEADER_LINE = 78
MAX_SMTP_LINE = 998  # RFC 5321 text line limit, without the CRLF
# What would end an address on an SMTP command line (quoted local parts are not supported).
SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+")
UNSAFE_IN_ADDRESS = re.compile(r'[\s<>"\x00-\x1f\x7f]')


def render_message(row: OutgoingMessage) -> RenderedMessage:
    """The wire form and envelope of `row`; gives the row a Message-ID (saved) the first time.

    Raises a permanent TransportError when a header would contain a line break or an address is
    not one.
    """
    values = {
        "From": row.from_email,
        "To": row.to,
        "Cc": row.cc,
        "Bcc": row.bcc,
        "Subject": row.subject,
    }
    for name, value in values.items():
        if "\r" in value or "\n" in value:
            raise TransportError(
                f"The {name} header contains a line break; the message was not sent.",
                permanent=True,
            )
    sender = _mailbox("From", row.from_email)
    lists = {
        name: [_mailbox(name, a) for a in split_addresses(values[name])]
        for name in ("To", "Cc", "Bcc")
    }
    recipients = _envelope(row) or tuple(
        dict.fromkeys(addr for items in lists.values() for _, addr in items)
    )
    if not recipients:
        raise TransportError("The message has no recipient; it was not sent.", permanent=True)
    headers = [
        _address_header("From", [sender]),
        *(_address_header(name, lists[name]) for name in ("To", "Cc") if lists[name]),
        _text_header("Subject", row.subject),
        f"Date: {format_datetime(timezone.now())}",
        f"Message-ID: {ensure_message_id(row)}",
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
    ]
    data = (CRLF.join(headers) + CRLF).encode("ascii") + _body(row.body_text, row.body_html)
    bcc = (_address_header("Bcc", lists["Bcc"]) + CRLF).encode("ascii") if lists["Bcc"] else b""
    return RenderedMessage(
        sender=sender[1],
        recipients=recipients,
        data=data,
        message_id=row.message_id,
        bcc_header=bcc,
        partial=bool(row.envelope),
    )


def _envelope(row: OutgoingMessage) -> tuple[str, ...]:
    """A follow-up's own recipients (those refused for now); empty for an ordinary row."""
    return tuple(dict.fromkeys(_mailbox("To", a)[1] for a in split_addresses(row.envelope)))


def ensure_message_id(row: OutgoingMessage) -> str:
    """A stable Message-ID per row, so a retried message keeps its identity; it names the row's
    store (core.mail_origin) so the local catcher can file it under that store."""
    if not row.message_id:
        row.message_id = mail_origin.new_message_id(row.store_id, _domain(row.from_email))
        if row.pk:
            OutgoingMessage.objects.filter(pk=row.pk, message_id="").update(
                message_id=row.message_id
            )
    return row.message_id


@functools.lru_cache(maxsize=256)
def _domain(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "dirmgr.invalid"


# -- headers -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _mailbox(header: str, value: str) -> tuple[str, str]:
    """(display name, ASCII address) of `Name <local@domain>` or a bare address.

    Cached: the same From and admin addresses recur in message after message, and the stdlib's
    address parser is the slowest step of rendering.
    """
    if SIMPLE_ADDRESS.fullmatch(value):  # the usual case: the stdlib parser is slow
        name, addr = "", value
    else:
        name, addr = parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or not local.isascii() or UNSAFE_IN_ADDRESS.search(addr):
        raise TransportError(
            f"The {header} address {value!r} is not a valid email address; the message was not "
            "sent.",
            permanent=True,
        )
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise TransportError(
                f"The {header} address {value!r} has an invalid domain; the message was not sent.",
                permanent=True,
            ) from None
    return name, f"{local}@{domain}"


def _address_header(name: str, mailboxes: list[tuple[str, str]]) -> str:
    """`Name: a, b, …`, folded between addresses when the line would pass 78 characters."""
    items = [f"{_phrase(display)} <{addr}>" if display else addr for display, addr in mailboxes]
    line = f"{name}: {', '.join(items)}"
    if len(line) <= MAX_HEADER_LINE and "\n" not in line:
        return line
    return f"{name}: " + f",{CRLF} ".join(items)


def _phrase(display: str) -> str:
    """A display name: encoded-words when not ASCII, a quoted string when it has specials."""
    if not display.isascii():
        return Header(display, "utf-8").encode(linesep=CRLF)
    if any(c in display for c in '()<>[]:;@\\,."'):
        escaped = display.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return display


def _text_header(name: str, value: str) -> str:
    if value.isascii() and len(name) + 2 + len(value) <= MAX_HEADER_LINE:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep=CRLF)


# -- bodies --------------------------------------------------------------------------------------


def _body(text: str, html: str) -> bytes:
    """The Content-* headers, blank line and body: text alone, or text + HTML alternatives."""
    if not html:
        return _part("plain", text)
    boundary = f"=_{secrets.token_hex(16)}".encode("ascii")
    return b"".join(
        [
            b'Content-Type: multipart/alternative;\r\n boundary="' + boundary + b'"\r\n\r\n',
            b"--" + boundary + b"\r\n",
            _part("plain", text),
            b"\r\n--" + boundary + b"\r\n",
            _part("html", html),
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )


def _part(subtype: str, content: str) -> bytes:
    encoding, body = _encode(content)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii") + body


def _encode(content: str) -> tuple[str, bytes]:
    """CRLF line endings; 7bit when the text is ASCII in lines SMTP allows (≤ 998 characters),
    else UTF-8 quoted-printable (b2a_qp keeps CRLF when the text uses it)."""
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    text = CRLF.join(lines) + CRLF
    if text.isascii() and "\0" not in text and max(map(len, lines), default=0) <= MAX_SMTP_LINE:
        return "7bit", text.encode("ascii")
    return "quoted-printable", binascii.b2a_qp(text.encode("utf-8"), istext=True)
