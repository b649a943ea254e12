"""Opening verified LDAP connections, with errors in the admin's words (`paging` reads them).

Every connection is encrypted and its certificate verified against the system CAs, the
`DIRMGR_CA_BUNDLE` and the store's own CA: ldaps:// directly, ldap:// always upgraded with
StartTLS (ldap3's plain `Tls()` verifies nothing, so it is never used). Error messages name the
URL and the LDAP result, never a password, and a failure to connect only in the plain classes of
`failures` (never the far side's bytes).

Every URL passes the outbound destination policy (`core.destinations`) before any
connection to it is opened, whoever asks: Test connection, sync, write-back and sign-in.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

import ldap3
from django.views.decorators.debug import sensitive_variables

from core import destinations
from core import tls as tls_trust

from .failures import REPLY_FAULTS, describe
from .models import DirectoryConnection

RESULT_MESSAGES = {
    4: "the directory's size limit was reached before the search finished (result 4, "
    "sizeLimitExceeded): raise the limit for the bind account",
    3: "the directory's time limit was reached (result 3, timeLimitExceeded)",
    32: "the base DN does not exist (result 32, noSuchObject)",
    49: "invalid credentials (result 49): check the bind DN/UPN and password",
    50: "the bind account lacks the access rights (result 50, insufficientAccessRights)",
    53: "the directory is unwilling to perform the operation (result 53)",
}


class DirectoryError(Exception):
    """The directory could not be used; `str()` is safe to show to an admin."""

    def __init__(self, message: str, *, result: int | None = None) -> None:
        super().__init__(message)
        self.result = result


def result_message(result: dict) -> str:
    code = result.get("result")
    known = RESULT_MESSAGES.get(code)
    if known:
        return known
    text = result.get("message") or ""
    return f"{result.get('description', 'error')} (result {code}){': ' + text if text else ''}"


def make_tls(conn: DirectoryConnection) -> ldap3.Tls:
    ca_file = tls_trust.ca_file()
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=ca_file if isinstance(ca_file, str) else None,
        ca_certs_data=conn.ca_certificate.strip() or None,
    )


def host_port(url: str) -> tuple[str, int]:
    """The host and port an ldap:// or ldaps:// URL makes this server connect to."""
    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise DirectoryError(f"{url}: not an ldap:// or ldaps:// URL")
    try:
        return parts.hostname, parts.port or (636 if parts.scheme == "ldaps" else 389)
    except ValueError:
        raise DirectoryError(f"{url}: the port is not a number") from None


def check_destination(url: str) -> None:
    """Raise `DirectoryError` (safe to show) if the policy refuses the URL's host and port."""
    host, port = host_port(url)
    try:
        destinations.check(host, port)
    except destinations.DestinationRefused as exc:
        raise DirectoryError(f"{url}: {exc}") from None


def _server(conn: DirectoryConnection, url: str) -> ldap3.Server:
    host, port = host_port(url)
    return ldap3.Server(
        host,
        port=port,
        use_ssl=urlsplit(url).scheme == "ldaps",
        tls=make_tls(conn),
        get_info=ldap3.NONE,
        connect_timeout=conn.timeout,
    )


@sensitive_variables("password")
def bind(conn: DirectoryConnection, user: str, password: str) -> ldap3.Connection:
    """A bound connection as `user`, from the first URL that answers. A refused bind (49) stops
    at once: another replica of the same directory would refuse it too."""
    if not password:
        # An empty password is an unauthenticated bind, which "succeeds" without proving anything.
        raise DirectoryError("A password is required.", result=49)
    errors = []
    for url in conn.url_list:
        try:
            return bind_url(conn, url, user, password)
        except DirectoryError as exc:
            if exc.result is not None:
                raise
            errors.append(str(exc))
    raise DirectoryError("; ".join(errors) or "No LDAP URL is configured.")


# An ldap3 connection's repr shows its password.
@sensitive_variables("password", "connection")
def bind_url(conn: DirectoryConnection, url: str, user: str, password: str) -> ldap3.Connection:
    check_destination(url)
    server = _server(conn, url)
    # Referrals (result 10) are never followed: ldap3 would bind with our credentials at the host
    # they name, without the store's CA, and over StartTLS without verifying the certificate.
    # Continuation references (searchResRef) are skipped by `paging.paged_search`.
    # auto_range off: AD returns a large `member` in slices (`member;range=0-1499`) and ldap3's
    # own merging stops silently, reporting success, when a slice cannot be read, so a big group
    # would look smaller and sync would remove the members it did not see.
    # `paging.complete_ranges` reads the slices instead. return_empty_attributes off: with it on
    # and auto_range off, ldap3 fails (KeyError) on a reply holding a slice of an attribute not
    # asked for by name.
    connection = ldap3.Connection(
        server,
        user=user,
        password=password,
        receive_timeout=conn.timeout,
        read_only=False,
        auto_referrals=False,
        auto_range=False,
        return_empty_attributes=False,
    )
    try:
        connection.open()
        if not server.ssl:
            connection.start_tls()
        ok = connection.bind()
    except REPLY_FAULTS as exc:
        close(connection)
        raise DirectoryError(describe(url, exc)) from None
    if not ok:
        result = dict(connection.result)
        close(connection)
        raise DirectoryError(f"{url}: {result_message(result)}", result=result.get("result"))
    return connection


def close(connection: ldap3.Connection) -> None:
    """Unbind; a connection whose socket already failed has nothing left to close."""
    with suppress(*REPLY_FAULTS):
        connection.unbind()


def service_bind(conn: DirectoryConnection) -> ldap3.Connection:
    return bind(conn, conn.bind_dn, conn.bind_password)


@contextmanager
def session(conn: DirectoryConnection) -> Iterator[ldap3.Connection]:
    connection = service_bind(conn)
    try:
        yield connection
    finally:
        close(connection)
