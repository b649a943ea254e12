"""Turning what an SMTP conversation raised into `TransportError`s an admin can act on.

4xx replies and network trouble are transient, 5xx replies are not. Messages quote the server's
reply, with a hint for known Exchange Online codes, never a credential. They never echo a foreign
service: what answers before the SMTP greeting and EHLO succeeded is not known to be a mail
server, so only its reply code is shown ("not an SMTP server" when it is not even that); the
precise reason goes to the server log.
"""

from __future__ import annotations

import logging
import re

import aiosmtplib

from .base import TransportError
from .diagnostics import smtp_hint
from .errors import network_error, root_cause

log = logging.getLogger(__name__)

_ENHANCED_CODE = re.compile(r"^\d\.\d{1,3}\.\d{1,3}\b")


def smtp_error(exc: Exception, where: str, timeout: float) -> TransportError:
    """Classify anything aiosmtplib raised: 4xx and network trouble are transient, 5xx is not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return recipients_refused(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code < 0:
        log.info("%s is not an SMTP server: %r", where, exc.message[:200])
        return TransportError(
            f"{where} is not an SMTP server: what answered there does not speak SMTP. "
            "Check the SMTP Server and Port.",
            permanent=True,
        )
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
        return code_only_error(_ACTIONS[type(exc)], exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return reply_error(_ACTIONS.get(type(exc), "The server refused the message"), exc)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected) and root_cause(exc) is exc:
        return TransportError(f"{where} closed the connection unexpectedly.", permanent=False)
    found = network_error(exc, where, timeout)
    if found is not None:
        return found
    log.info("SMTP conversation with %s failed: %r", where, exc)
    return TransportError(
        f"SMTP conversation with {where} failed ({type(exc).__name__}).", permanent=False
    )


def reply_error(action: str, exc: aiosmtplib.SMTPResponseException) -> TransportError:
    reply = f"{exc.code} {exc.message}".strip()
    return TransportError(
        f"{action}: {reply}", permanent=exc.code >= 500, reply=reply, hint=smtp_hint(reply)
    )


def code_only_error(action: str, exc: aiosmtplib.SMTPResponseException) -> TransportError:
    """Before EHLO succeeded the peer is not known to be a mail server: its code, not its text."""
    enhanced = _ENHANCED_CODE.match(exc.message)
    reply = f"{exc.code} {enhanced.group(0)}" if enhanced else str(exc.code)
    log.info("%s: %s %r", action, exc.code, exc.message[:200])
    return TransportError(
        f"{action}: {reply}", permanent=exc.code >= 500, reply=reply, hint=smtp_hint(reply)
    )


def recipients_refused(exc: aiosmtplib.SMTPRecipientsRefused) -> TransportError:
    replies = [f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients]
    permanent = all(r.code >= 500 for r in exc.recipients)
    reply = "; ".join(replies)
    return TransportError(
        f"The server refused every recipient ({reply}).",
        permanent=permanent,
        reply=reply,
        hint=smtp_hint(reply),
    )


_ACTIONS: dict[type, str] = {
    aiosmtplib.SMTPAuthenticationError: "Authentication failed, the server answered",
    aiosmtplib.SMTPSenderRefused: "The server refused the sender address",
    aiosmtplib.SMTPDataError: "The server refused the message",
    aiosmtplib.SMTPHeloError: "The server refused the greeting (EHLO)",
    aiosmtplib.SMTPConnectResponseError: "The server refused the connection",
}
