"""The Test connection button: bind at each URL, read the base, count what sync would read.
Every line is safe to show: URLs, DNs, counts and LDAP results — never the password.

A failure that points at one setting is also reported against that form field (`field_errors`),
so the admin sees it next to the box to fix, not only in the list of lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from .connection import DirectoryError, bind_url, close
from .failures import TLS_FAILED
from .models import DirectoryConnection
from .paging import paged_search
from .reader import KINDS, check_base, kind_filter

COUNT_LIMIT = 10_000
INVALID_CREDENTIALS = 49
NO_SUCH_OBJECT = 32
REFERRAL = 10


@dataclass
class TestReport:
    ok: bool = False
    lines: list[str] = field(default_factory=list)
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    def flag(self, name: str, message: str) -> None:
        """Report `message` next to form field `name` (once, however many URLs gave it)."""
        messages = self.field_errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)


def test_connection(conn: DirectoryConnection) -> TestReport:
    report = TestReport()
    bound = None
    for url in conn.url_list:
        try:
            connection = bind_url(conn, url, conn.bind_dn, conn.bind_password)
        except DirectoryError as exc:
            report.lines.append(f"✗ {exc}")
            _flag_url_failure(report, exc)
            continue
        report.lines.append(f"✓ {url}: TLS verified, bound as {conn.bind_dn}")
        if bound is None:
            bound = connection
        else:
            close(connection)
    if bound is None:
        return report
    try:
        if _base_found(report, bound, conn):
            report.lines.append("✓ " + ", ".join(_counts(bound, conn)))
            report.ok = True
    except DirectoryError as exc:
        report.lines.append(f"✗ {exc}")
    finally:
        close(bound)
    return report


def _flag_url_failure(report: TestReport, exc: DirectoryError) -> None:
    """A refused bind is the bind DN's or password's fault (the directory gives 49 for either);
    a certificate not accepted is the CA certificate's; anything else is the URL's."""
    message = str(exc)
    if exc.result == INVALID_CREDENTIALS:
        report.flag(
            "bind_dn",
            "The directory refused this bind DN with the password given "
            "(result 49, invalidCredentials).",
        )
        report.flag(
            "bind_password",
            "Check the password too: the directory gives the same answer (result 49) for a wrong "
            "password and for an unknown bind DN.",
        )
    elif exc.result is not None:
        report.flag("bind_dn", f"The directory refused the bind: {message}")
    elif TLS_FAILED in message:
        report.flag(
            "ca_certificate",
            f"{message}. Paste the certificate of the CA that issued the server's certificate, "
            "and check that the URL's host name (or IP address) is in that certificate.",
        )
    else:
        report.flag("urls", message)


def _base_found(report: TestReport, connection, conn: DirectoryConnection) -> bool:
    """Read the base entry; a base that is missing or a referral is reported against the field."""
    try:
        check_base(connection, conn)
    except DirectoryError as exc:
        if exc.result == NO_SUCH_OBJECT:
            message = f"The base DN {conn.base_dn} does not exist (result 32, noSuchObject)."
            report.lines.append(f"✗ {message}")
            report.flag("base_dn", message)
            return False
        report.lines.append(f"✗ {exc}")
        if exc.result == REFERRAL:
            report.flag(
                "base_dn",
                f"The base DN {conn.base_dn} is a referral to another directory (result 10). "
                "Referrals are never followed: enter a base DN this directory holds itself.",
            )
        return False
    report.lines.append(f"✓ Base DN {conn.base_dn} found")
    return True


def _counts(connection, conn: DirectoryConnection) -> list[str]:
    counts = []
    for kind in KINDS:
        search = kind_filter(conn, kind)
        if not search:
            continue
        total = 0
        for page in paged_search(connection, conn.base_dn, search, [], conn.page_size):
            total += len(page)
            if total >= COUNT_LIMIT:
                break
        shown = f"{COUNT_LIMIT:,}+" if total >= COUNT_LIMIT else f"{total:,}"
        counts.append(f"{shown} {kind}s")
    return counts
