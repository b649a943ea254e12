"""Turning low-level failures into `TransportError`s an admin can act on.

Network failures (DNS, refused, timeout, TLS) look the same whether they hit the SMTP server, the
token endpoint or Graph, so they are named here once. Messages quote the host and the server's
reply, never a credential.

They never echo a foreign service: what answers before the SMTP greeting and EHLO succeeded is
not known to be a mail server, so only its reply code is shown ("not an SMTP server" when it is
not even that), and a refused connection reads like a timed-out one. Server settings must not
turn Test Server into a port scanner; the precise reason goes to the server log.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from collections.abc import Iterator

import aiosmtplib
import requests

from core.destinations import DestinationRefused, NothingAnswered

from ..diagnostics import smtp_hint
from .base import TransportError
from .http import RedirectRefused

log = logging.getLogger(__name__)

# OpenSSL X509_V_ERR_* codes an admin can fix
_EXPIRED = {9, 10}  # not yet valid, expired
_HOSTNAME = {62, 64}  # host name mismatch, IP address mismatch
_UNTRUSTED = {18, 19, 20, 21}  # self-signed, unknown issuer
_ENHANCED_CODE = re.compile(r"^\d\.\d{1,3}\.\d{1,3}\b")
# Connect-phase failures: nothing (or nothing that spoke) answered at the address.
_NOTHING_ANSWERED = (
    NothingAnswered,
    ConnectionRefusedError,
    aiosmtplib.SMTPConnectError,  # includes hanging up before the greeting, and its timeout
    requests.ConnectTimeout,
)


def chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then each exception it was raised from or during, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a `raise … from …` / implicit chain."""
    *_, innermost = chain(exc)
    return innermost


def nothing_answered(where: str) -> str:
    return (
        f"Nothing answered at {where}: the connection was refused or timed out. Check the host "
        "name and port, and that a firewall lets this server connect there."
    )


def network_error(exc: BaseException, where: str, timeout: float) -> TransportError | None:
    """Refused destinations, DNS, refused, reset, timeout and TLS problems reaching `where`
    ("host:port"); else None."""
    cause = root_cause(exc)
    host = where.rsplit(":", 1)[0]
    refused = next(
        (e for e in chain(exc) if isinstance(e, DestinationRefused | RedirectRefused)), None
    )
    if refused is not None:
        return TransportError(str(refused), permanent=True)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return tls_verification_error(cause, host)
    if isinstance(cause, ssl.SSLError):
        reason = cause.reason or cause.__class__.__name__
        return TransportError(
            f"TLS handshake with {where} failed ({reason}). Check that the port speaks TLS "
            "as configured: implicit TLS on 465, STARTTLS elsewhere.",
            permanent=True,
        )
    if any(isinstance(e, _NOTHING_ANSWERED) for e in chain(exc)):
        log.info("Nothing answered at %s: %r", where, cause)
        return TransportError(nothing_answered(where), permanent=False)
    if isinstance(cause, socket.gaierror):
        return TransportError(
            f"The name {host} does not resolve (DNS lookup failed).", permanent=False
        )
    if isinstance(exc, TimeoutError) or isinstance(cause, TimeoutError):
        return TransportError(
            f"No answer from {where} within {timeout:g} s (timed out).", permanent=False
        )
    if isinstance(cause, ConnectionError | OSError):
        return TransportError(
            f"The connection to {where} failed or was closed unexpectedly ({_os_reason(cause)}).",
            permanent=False,
        )
    return None


def tls_verification_error(exc: ssl.SSLCertVerificationError, host: str) -> TransportError:
    code = exc.verify_code
    if code in _EXPIRED:
        what = "has expired (or is not valid yet)"
    elif code in _HOSTNAME:
        what = f"does not match the host name {host} (hostname mismatch)"
    elif code in _UNTRUSTED:
        what = "is issued by an untrusted certificate authority (unknown or self-signed CA)"
    else:
        what = f"could not be verified ({exc.verify_message})"
    return TransportError(
        f"The TLS certificate of {host} {what}.",
        permanent=True,
        hint=(
            "A private CA must be added to the PEM bundle named by DIRMGR_CA_BUNDLE."
            if code in _UNTRUSTED
            else ""
        ),
    )


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


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.__class__.__name__


_ACTIONS: dict[type, str] = {
    aiosmtplib.SMTPAuthenticationError: "Authentication failed, the server answered",
    aiosmtplib.SMTPSenderRefused: "The server refused the sender address",
    aiosmtplib.SMTPDataError: "The server refused the message",
    aiosmtplib.SMTPHeloError: "The server refused the greeting (EHLO)",
    aiosmtplib.SMTPConnectResponseError: "The server refused the connection",
}
