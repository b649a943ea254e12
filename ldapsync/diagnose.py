"""The Test connection button: bind at each URL, read the base, count what sync would read.
Every line is safe to show: URLs, DNs, counts and LDAP results — never the password."""

from __future__ import annotations

from dataclasses import dataclass, field

from .connection import DirectoryError, bind_url, close, paged_search
from .models import DirectoryConnection
from .reader import KINDS, check_base, kind_filter

COUNT_LIMIT = 10_000


@dataclass
class TestReport:
    ok: bool = False
    lines: list[str] = field(default_factory=list)


def test_connection(conn: DirectoryConnection) -> TestReport:
    report = TestReport()
    bound = None
    for url in conn.url_list:
        try:
            connection = bind_url(conn, url, conn.bind_dn, conn.bind_password)
        except DirectoryError as exc:
            report.lines.append(f"✗ {exc}")
            continue
        report.lines.append(f"✓ {url}: TLS verified, bound as {conn.bind_dn}")
        if bound is None:
            bound = connection
        else:
            close(connection)
    if bound is None:
        return report
    try:
        check_base(bound, conn)
        report.lines.append(f"✓ Base DN {conn.base_dn} found")
        report.lines.append("✓ " + ", ".join(_counts(bound, conn)))
        report.ok = True
    except DirectoryError as exc:
        report.lines.append(f"✗ {exc}")
    finally:
        close(bound)
    return report


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
