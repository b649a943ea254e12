"""Turning network failures into `TransportError`s an admin can act on.

Network failures (DNS, refused, timeout, TLS) look the same whether they hit the SMTP server, the
token endpoint or Graph, so they are named here once. Messages quote the host, never a
credential. A refused connection reads like a timed-out one: server settings must not turn Test
Server into a port scanner, so the precise reason goes to the server log. What an SMTP server
answered is worded in `smtp_errors`.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator

import aiosmtplib
import requests

from core.destinations import DestinationRefused, NothingAnswered
from core.http import RedirectRefused

from .base import TransportError

log = logging.getLogger(__name__)

# OpenSSL X509_V_ERR_* codes an admin can fix
_EXPIRED = {9, 10}  # not yet valid, expired
_HOSTNAME = {62, 64}  # host name mismatch, IP address mismatch
_UNTRUSTED = {18, 19, 20, 21}  # self-signed, unknown issuer
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


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.__class__.__name__
