"""List pages benchmark: does a page of the Outbox, History or Mailbox cost more when the
store's tables are large?

Builds two stores in one database — a small one (the baseline, `--small` rows) and a large one
(`--rows` outbox rows, as many History changes of two fields each, and as many caught messages)
— and times, with Django's test client as a signed-in superuser, the same requests on both:
the Outbox searched by recipient, the Outbox's last page, History's first and last page, and the
Mailbox filtered by store. Prints each page's time on both stores, their ratio and the query
counts, and last a JSON line. Paging and grouping are done in the database, so the ratios stay
near what the larger COUNT and OFFSET cost, and the query counts are equal.

    .venv/bin/python bench/lists.py             # 50,000 rows per table
    .venv/bin/python bench/lists.py --smoke     # 1,000 rows (CI)

Uses DATABASE_URL when set, otherwise a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(workdir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    os.environ.setdefault("DIRMGR_VAR_DIR", workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/lists.sqlite3")
    os.environ.setdefault("DIRMGR_MAILBOX", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(name: str, rows: int):
    """A store with `rows` outbox rows, History changes and caught messages (bulk inserts)."""
    from catcher.models import CaughtMessage
    from identitystores import audit
    from identitystores.models import AuditEntry, IdentityStore
    from notifications.models import OutgoingMessage

    store = IdentityStore.objects.create(name=f"{name} {time.time_ns()}")
    statuses = ["queued", "retrying", "sent", "dead"]
    OutgoingMessage.objects.bulk_create(
        [
            OutgoingMessage(
                store=store, status=statuses[n % 4], from_email="dm@bench.test",
                to=f"user{n}@bench.test", subject=f"Change {n}", body_text="b",
            )
            for n in range(rows)
        ],
        batch_size=2000,
    )  # fmt: skip
    entries = []
    for _ in range(rows):
        entries += audit.entries(
            store, "bench", "store edited", [("Name", "a", "b"), ("Zone", "x", "y")]
        )
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    CaughtMessage.objects.bulk_create(
        [
            CaughtMessage(store=store, subject=f"Mail {n}", to_header=f"u{n}@bench.test", raw=b"x")
            for n in range(rows)
        ],
        batch_size=2000,
    )
    return store


def requests_for(store, rows: int) -> dict[str, str]:
    base = f"/identity-stores/{store.pk}"
    return {
        "outbox_search": f"{base}/outbox/?show=all&q=user7",
        "outbox_last_page": f"{base}/outbox/?show=all&page={max(rows // 50, 1)}",
        "history_first_page": f"{base}/history/",
        "history_last_page": f"{base}/history/?page={max(rows // 25, 1)}",
        "mailbox_store": f"/mailbox/?store={store.pk}",
    }


def timed_get(client, url: str, repeat: int) -> tuple[float, int]:
    """Best of `repeat` GETs (the machine may be busy), and the query count of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best = float("inf")
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return best, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="1,000 rows, 2 repeats")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat = 1_000, 2
    with tempfile.TemporaryDirectory() as workdir:
        setup_django(workdir)
        from django.contrib.auth import get_user_model
        from django.test import Client

        small, large = build("Small", args.small), build("Large", args.rows)
        user = get_user_model().objects.create_superuser(f"bench{time.time_ns()}", "", "x")
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        figures: dict[str, object] = {"rows": args.rows, "small": args.small}
        small_urls, large_urls = requests_for(small, args.small), requests_for(large, args.rows)
        for page in small_urls:
            timed_get(client, large_urls[page], 1)  # warm-up
            base_s, base_q = timed_get(client, small_urls[page], args.repeat)
            big_s, big_q = timed_get(client, large_urls[page], args.repeat)
            print(
                f"{page}: {base_s * 1000:.1f} ms at {args.small} rows, {big_s * 1000:.1f} ms at "
                f"{args.rows} rows, ratio {big_s / base_s:.2f}, queries {base_q} / {big_q}"
            )
            figures[page] = {"ratio": round(big_s / base_s, 2), "queries": [base_q, big_q]}
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
