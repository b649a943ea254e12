"""Turning low-level failures into `TransportError`s an admin can act on.

Network failures (DNS, refused, timeout, TLS) look the same whether they hit the SMTP server, the
token endpoint or Graph, so they are named here once. Messages quote the host and the server's
reply, never a credential.
"""

from __future__ import annotations

import socket
import ssl

import aiosmtplib

from ..diagnostics import smtp_hint
from .base import TransportError

# OpenSSL X509_V_ERR_* codes an admin can fix
_EXPIRED = {9, 10}  # not yet valid, expired
_HOSTNAME = {62, 64}  # host name mismatch, IP address mismatch
_UNTRUSTED = {18, 19, 20, 21}  # self-signed, unknown issuer


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a `raise … from …` / implicit chain."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def network_error(exc: BaseException, where: str, timeout: float) -> TransportError | None:
    """DNS, refused, reset, timeout and TLS problems reaching `where` ("host:port"); else None."""
    cause = root_cause(exc)
    host = where.rsplit(":", 1)[0]
    if isinstance(cause, ssl.SSLCertVerificationError):
        return tls_verification_error(cause, host)
    if isinstance(cause, ssl.SSLError):
        reason = cause.reason or cause.__class__.__name__
        return TransportError(
            f"TLS handshake with {where} failed ({reason}). Check that the port speaks TLS "
            "as configured: implicit TLS on 465, STARTTLS elsewhere.",
            permanent=True,
        )
    if isinstance(cause, socket.gaierror):
        return TransportError(
            f"The name {host} does not resolve (DNS lookup failed).", permanent=False
        )
    if isinstance(cause, ConnectionRefusedError):
        return TransportError(
            f"Connection to {where} was refused: nothing listens on that port, "
            "or a firewall rejects the connection.",
            permanent=False,
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
            "A private CA must be added to the PEM bundle named by SMTP_CA_BUNDLE."
            if code in _UNTRUSTED
            else ""
        ),
    )


def smtp_error(exc: Exception, where: str, timeout: float) -> TransportError:
    """Classify anything aiosmtplib raised: 4xx and network trouble are transient, 5xx is not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return recipients_refused(exc)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return reply_error(_ACTIONS.get(type(exc), "The server refused the message"), exc)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected) and root_cause(exc) is exc:
        return TransportError(f"{where} closed the connection unexpectedly.", permanent=False)
    found = network_error(exc, where, timeout)
    if found is not None:
        return found
    return TransportError(f"SMTP conversation with {where} failed: {exc}", permanent=False)


def reply_error(action: str, exc: aiosmtplib.SMTPResponseException) -> TransportError:
    reply = f"{exc.code} {exc.message}".strip()
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
