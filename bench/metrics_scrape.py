"""Metrics benchmark: one Prometheus scrape of /metrics over a large outbox.

Fills the outbox with rows in every status spread over many stores, then times, in the same
run, the full scrape (OutboxCollector rendered by prometheus_client, as /metrics does) against a
bare SQL GROUP BY counting the rows per store and status — the least any scrape must ask. Prints
both, their ratio and the number of queries per scrape, and last a JSON line.

    .venv/bin/python bench/metrics_scrape.py            # 200,000 rows, 50 stores
    .venv/bin/python bench/metrics_scrape.py --smoke    # 5,000 rows, 10 stores

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
# Mostly sent, as in a live installation; a few of every other status.
STATUS_SHARES = {"sent": 0.9, "queued": 0.04, "retrying": 0.02, "held": 0.01, "dead": 0.03}


def setup_django(workdir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    os.environ.setdefault("DIRMGR_VAR_DIR", workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/metrics.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(rows: int, stores: int) -> None:
    from identitystores.models import IdentityStore
    from notifications.models import OutgoingMessage

    prefix = f"Metrics {time.time_ns()}"
    made = IdentityStore.objects.bulk_create(
        [IdentityStore(name=f"{prefix} {n}") for n in range(stores)]
    )
    statuses = [s for s, share in STATUS_SHARES.items() for _ in range(int(share * 100))]
    batch = []
    for n in range(rows):
        batch.append(
            OutgoingMessage(
                store=made[n % stores],
                status=statuses[(n // stores) % len(statuses)],
                from_email="dm@bench.test",
                to="user@bench.test",
                subject="Group changed",
                body_text="b",
            )
        )
        if len(batch) == 5000:
            OutgoingMessage.objects.bulk_create(batch)
            batch = []
    OutgoingMessage.objects.bulk_create(batch)


def bare_sql() -> int:
    from django.db import connection

    from notifications.models import OutgoingMessage

    table = OutgoingMessage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT store_id, status, COUNT(*) FROM {table} GROUP BY store_id, status")
        return len(cursor.fetchall())


def scrape() -> int:
    from prometheus_client import generate_latest

    from dirmgr.metrics import REGISTRY

    return len(generate_latest(REGISTRY))


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):  # best of N: the machine may be busy with other work
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs; the best counts")
    parser.add_argument("--smoke", action="store_true", help="5,000 rows, 10 stores (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.stores, args.repeat = 5_000, 10, 3
    with tempfile.TemporaryDirectory(prefix="metrics-") as workdir:
        setup_django(workdir)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        start = time.perf_counter()
        build(args.rows, args.stores)
        print(
            f"built {args.rows} rows in {args.stores} stores in "
            f"{time.perf_counter() - start:.1f}s ({connection.vendor})"
        )
        scrape()  # warm-up
        bare_s, groups = best_of(args.repeat, bare_sql)
        scrape_s, size = best_of(args.repeat, scrape)
        with CaptureQueriesContext(connection) as queries:
            scrape()
        print(f"bare SQL GROUP BY: {groups} groups in {bare_s * 1000:.1f} ms")
        print(f"scrape: {size} bytes in {scrape_s * 1000:.1f} ms, {len(queries)} queries")
        print(f"ratio {scrape_s / bare_s:.2f}")
        figures = {
            "rows": args.rows,
            "stores": args.stores,
            "scrape_ms": round(scrape_s * 1000, 2),
            "bare_sql_ms": round(bare_s * 1000, 2),
            "ratio": round(scrape_s / bare_s, 2),
            "queries": len(queries),
            "bytes": size,
        }
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
