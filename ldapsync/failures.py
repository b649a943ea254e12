"""What an admin is told when an LDAP URL could not be used, in a few plain classes.

The Directory connection page makes this server connect wherever an admin points it, so its
answers must not turn it into a port scanner: whatever sits on the far side (a web server, a
message broker, garbage, silence), the admin reads one of a few sentences and never the bytes
that came back; a refused connection reads the same as one that timed out or was closed, so a
closed port cannot be told from a filtered one. The precise cause goes to the server log only.

ldap3 decodes the far side's bytes with code that raises whatever Python error they provoke
(`KeyError`, `IndexError`, `TypeError` …), so `REPLY_FAULTS` lists those next to its own
exceptions: every call that reads a reply catches them and reports "not an LDAP server".
"""

from __future__ import annotations

import logging
import re

from ldap3.core import exceptions as ldap_exc
from pyasn1.error import PyAsn1Error

log = logging.getLogger(__name__)

REPLY_FAULTS = (
    ldap_exc.LDAPException,
    OSError,
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    PyAsn1Error,
)
# Raised by ldap3 while building a request from the settings, before anything is sent: their
# text describes the admin's own input (a filter, a DN), so it is shown.
REQUEST_ERRORS = (
    ldap_exc.LDAPInvalidFilterError,
    ldap_exc.LDAPInvalidDnError,
    ldap_exc.LDAPInvalidScopeError,
    ldap_exc.LDAPAttributeError,
    ldap_exc.LDAPObjectClassError,
)
NOTHING_ANSWERED = (
    "nothing answered (refused or timed out): check the host, the port and any firewall in between"
)
NOT_LDAP = "not an LDAP server: something answered on that port, but not in LDAP"
NOT_LDAPS = (
    "not an LDAP server over TLS: something answered on that port, but not in TLS "
    "(for StartTLS use ldap://)"
)
DNS_FAILED = "the host name cannot be resolved (DNS)"
# diagnose.TLS_FAILED looks for this prefix to mark the CA certificate field.
TLS_FAILED = "TLS failed, the server's certificate was not accepted"
STARTTLS_REFUSED = (
    "TLS failed: the directory did not agree to StartTLS (use ldaps:// if it offers LDAP over "
    "TLS on another port)"
)

# Lower-case fragments of the texts ldap3 and OpenSSL give, per class, in the order checked.
CERTIFICATE = ("certificate verify failed", "certificate is not valid for", "certificate_verify")
DNS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name",
    "gaierror",
)
SILENCE = (
    "refused",
    "timed out",
    "timeout",
    "unreachable",
    "reset by peer",
    "connection aborted",
    "broken pipe",
    "session terminated",
    "unexpected_eof",
    "eof occurred",
)
HANDSHAKE = ("ssl", "wrap")  # the TLS handshake itself failed: no TLS on that port
# What OpenSSL says about a verification failure: safe words computed here, never received.
VERIFY_REASON = re.compile(r"certificate verify failed: ([\w .,'’:-]{1,120}?) \(_ssl")


def describe(url: str, exc: BaseException) -> str:
    """`url`, then the class of `exc` in plain words; the detail is logged, never shown."""
    message = _classify(url, exc)
    log.warning("ldap %s: %s (%s: %s)", url, message, type(exc).__name__, exc)
    return f"{url}: {message}"


def during_use(exc: BaseException) -> str:
    """The class of a failure on an open connection (a search or a change), in plain words."""
    if isinstance(exc, REQUEST_ERRORS):
        return str(exc)
    text = str(exc).lower()
    message = NOTHING_ANSWERED if any(word in text for word in SILENCE) else NOT_LDAP
    log.warning("ldap connection failed: %s (%s: %s)", message, type(exc).__name__, exc)
    return message


def _classify(url: str, exc: BaseException) -> str:
    if isinstance(exc, REQUEST_ERRORS):
        return str(exc)
    text = str(exc).lower()
    if any(word in text for word in CERTIFICATE):
        return _certificate_message(str(exc))
    if isinstance(exc, ldap_exc.LDAPStartTLSError) and "startTLS failed" in str(exc):
        return STARTTLS_REFUSED
    if any(word in text for word in DNS):
        return DNS_FAILED
    if any(word in text for word in SILENCE):
        return NOTHING_ANSWERED
    if url.lower().startswith("ldaps:") and any(word in text for word in HANDSHAKE):
        return NOT_LDAPS
    return NOT_LDAP


def _certificate_message(text: str) -> str:
    found = VERIFY_REASON.search(text)
    if found:
        return f"{TLS_FAILED} ({found.group(1)})"
    if "certificate is not valid for" in text.lower():
        return f"{TLS_FAILED} (the host name or IP address is not in the certificate)"
    return TLS_FAILED
