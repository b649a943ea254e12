"""Life-cycle benchmark: does a Membership Life Cycle run cost what is due, not what exists?

Times one run of the membership job over a store with 1,000,000 temporary memberships of which
10,000 start today, and one over a store with 100,000 of which the same 10,000 are due. Every
due item is applied for real (membership added, event, history, change and life-cycle outbox
rows, "On joining group" ticked). Each size runs in a child process with a fresh SQLite file, so
neither sees the other's rows. Every run starts from the same copy of the database; with
`--repeats N` the fastest of N runs counts (on a shared machine the minimum is the least
disturbed), and CPU seconds are shown next to wall seconds. Prints both times and their ratio
(target ≤ 1.5); the last line is one JSON object: {"big_s", "small_s", "ratio", ...}.

`bulk_s` is the floor the job is held to: in the same child process, from the same snapshot, the
same rows the run writes (memberships, claimed items, events, history entries, outbox rows with
their rendered notices) written in bulk in one transaction. `per_item_ratio` = run time ÷
`bulk_s` for the big store (goal ≤ 10): what handling items one by one, crash-safe, costs on top
of the work itself.

    .venv/bin/python bench/lifecycle.py               # 1,000,000 / 100,000 total, 10,000 due
    .venv/bin/python bench/lifecycle.py --repeats 3   # the same, fastest of three runs each
    .venv/bin/python bench/lifecycle.py --smoke       # 20,000 / 2,000 total, 200 due (CI)

Not-due rows are what a store accumulates: half ended long ago, half starting in the future.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
GROUPS = 10
INSERT_BATCH = 50_000


def setup_django(workdir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dirmgr.settings"
    os.environ["DIRMGR_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/lifecycle.sqlite3"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created

    connection_created.connect(_pragmas)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")


def _pragmas(sender, connection, **kwargs) -> None:
    """WAL with NORMAL sync, the usual SQLite production setting; both sizes run with it."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=NORMAL")


def build(total: int, due: int):
    """A store with `total` temporary memberships, `due` of them starting today."""
    from directory.models import DirectoryObject
    from identitystores.models import IdentityStore
    from notifications.models import NotificationSettings

    store = IdentityStore.objects.create(name="Bench")
    NotificationSettings.objects.create(store=store, from_email="dm@bench.test", ml_on_join=True)
    groups = DirectoryObject.objects.bulk_create(
        DirectoryObject(store=store, kind="group", name=f"G{g}", security_type="public")
        for g in range(GROUPS)
    )
    users = DirectoryObject.objects.bulk_create(
        (
            DirectoryObject(store=store, kind="user", name=f"U{u}", email=f"u{u}@bench.test")
            for u in range(max(1, due // GROUPS))
        ),
        batch_size=5000,
    )
    _insert(store.pk, total, due, [g.pk for g in groups], [u.pk for u in users])
    return store


def _insert(store_id: int, total: int, due: int, groups: list[int], users: list[int]) -> None:
    """Raw batched INSERTs: rows in id order, due ones spread evenly among the others."""
    from django.db import connection, transaction

    from lifecycle.models import TemporaryMembership

    table = TemporaryMembership._meta.db_table
    columns = (
        "store_id, action, group_id, user_id, start_date, end_date, state, start_applied, "
        "note, created, updated"
    )
    sql = f"INSERT INTO {table} ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
    stamp = (NOW - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    every = total // due
    rows, made_due = [], 0
    for i in range(total):
        if i % every == 0 and made_due < due:
            user, group = users[made_due // GROUPS], groups[made_due % GROUPS]
            start, end, state = TODAY, TODAY + timedelta(days=30), "scheduled"
            made_due += 1
        else:
            user, group = users[i % len(users)], groups[i % GROUPS]
            start, end, state = _not_due(i)
        rows.append((store_id, "join", group, user, start, end, state, 0, "", stamp, stamp))
        if len(rows) >= INSERT_BATCH:
            _flush(sql, rows)
            rows = []
    _flush(sql, rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _not_due(i: int) -> tuple[str, str, str]:
    if i % 2:
        start = TODAY - timedelta(days=400 - i % 300)
        return start.isoformat(), (start + timedelta(days=30)).isoformat(), "done"
    start = TODAY + timedelta(days=2 + i % 300)
    return start.isoformat(), (start + timedelta(days=30)).isoformat(), "scheduled"


def _flush(sql: str, rows: list[tuple]) -> None:
    from django.db import connection, transaction

    rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in r) for r in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def child(total: int, due: int, repeats: int) -> None:
    """Build, snapshot, time `repeats` runs from the snapshot, print one JSON line."""
    with tempfile.TemporaryDirectory(prefix="lifecycle-bench-") as workdir:
        setup_django(workdir)
        from django.db import connection

        from lifecycle.models import TemporaryMembership

        started = time.perf_counter()
        store = build(total, due)
        load_s = time.perf_counter() - started
        database = Path(workdir) / "lifecycle.sqlite3"
        snapshot = Path(workdir) / "snapshot.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copyfile(database, snapshot)
        runs, bulks = [], []
        for _ in range(repeats):
            connection.close()
            shutil.copyfile(snapshot, database)
            bulks.append(_timed_bulk(store.pk))
            connection.close()
            shutil.copyfile(snapshot, database)
            runs.append(_timed_run(store.pk))
        left = TemporaryMembership.objects.filter(state="scheduled", start_date__lte=TODAY).count()
        best = min(runs, key=lambda r: r["run_s"])
        bulk = min(bulks, key=lambda r: r["bulk_s"])
        print(json.dumps({"total": total, "due": due, "load_s": round(load_s, 2), **best, **bulk,
                          "runs_s": [r["run_s"] for r in runs], "left_due": left}))  # fmt: skip


def _timed_bulk(store_id: int) -> dict:
    """The run's rows, written in bulk in one transaction: what the work itself costs."""
    from django.db import transaction

    wall = time.perf_counter()
    with transaction.atomic():
        rows = _bulk_rows(store_id)
    return {"bulk_s": round(time.perf_counter() - wall, 3), "bulk_messages": rows}


def _bulk_rows(store_id: int) -> int:
    from directory.models import DirectoryEvent, GroupMembership
    from identitystores import audit
    from lifecycle.models import TemporaryMembership
    from notifications.models import NotificationSettings, OutgoingMessage

    settings = NotificationSettings.objects.select_related("store", "portal").get(store=store_id)
    store = settings.store
    due = TemporaryMembership.objects.filter(
        store=store, state="scheduled", start_date__lte=TODAY, end_date__gt=TODAY
    )
    items = list(due.select_related("group", "user"))
    due.update(state="active", start_applied=True)
    GroupMembership.objects.bulk_create(
        GroupMembership(group=i.group, member=i.user, member_is_group=False) for i in items
    )
    events, history, messages = [], [], []
    for item in items:
        events.append(_bulk_event(store, item))
        history += audit.entries(store, "Life-cycle schedule", "directory.member_added",
                                 [(f"{item.group.name} · member", "", item.user.name)])  # fmt: skip
        messages.append(_bulk_message(store, settings, item))
    DirectoryEvent.objects.bulk_create(events, batch_size=2000)
    audit.AuditEntry.objects.bulk_create(history, batch_size=2000)
    OutgoingMessage.objects.bulk_create(messages, batch_size=500)
    return len(messages)


def _bulk_event(store, item):
    from directory.models import DirectoryEvent

    return DirectoryEvent(
        store=store, kind="member_added", route="lifecycle", actor_name="Life-cycle schedule",
        object=item.group, object_name=item.group.name, member=item.user,
        member_name=item.user.name,
    )  # fmt: skip


def _bulk_message(store, settings, item):
    """The notice the job sends for this item, rendered for its one recipient."""
    from notifications.compose import build_message, load_templates, render_content

    context = {
        "store": {"name": store.name},
        "notice": {
            "subject": f"{item.user.name} was added to {item.group.name}",
            "headline": f"The Membership Life Cycle schedule added {item.user.name} to the "
            f"group {item.group.name}.",
            "details": [{"label": "Group", "value": item.group.name},
                        {"label": "Change", "value": "Join for a period"},
                        {"label": "Period", "value": f"{item.start_date} to {item.end_date}"},
                        {"label": "Applied on", "value": TODAY.isoformat()}],
        },
        "recipient": {"name": item.user.name, "email": item.user.email, "language": "en"},
    }  # fmt: skip
    content = render_content(load_templates("notice"), context)
    return build_message(store, settings, content, kind="lifecycle", bcc=[item.user.email])


def _timed_run(store_id: int) -> dict:
    from identitystores.models import IdentityStore
    from lifecycle.jobs import MEMBERSHIP, run_job

    store = IdentityStore.objects.get(pk=store_id)
    wall, cpu = time.perf_counter(), time.process_time()
    record = run_job(store, MEMBERSHIP, now=NOW)
    return {
        "run_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "applied": record.counts.get("applied", 0),
        "messages": record.counts.get("messages", 0),
    }


def measure(total: int, due: int, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(total), str(due), str(repeats)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["applied"] != due or result["left_due"] or result["bulk_messages"] != due:
        raise SystemExit(f"the run did not apply every due item: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20,000 / 2,000 total, 200 due")
    parser.add_argument("--repeats", type=int, default=1, help="runs per size; the fastest counts")
    parser.add_argument(
        "--child", nargs=3, type=int, metavar=("TOTAL", "DUE", "REPEATS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    big_total, small_total, due = (
        (20_000, 2_000, 200) if args.smoke else (1_000_000, 100_000, 10_000)
    )
    results = {}
    for name, total in (("big", big_total), ("small", small_total)):
        r = results[name] = measure(total, due, args.repeats)
        print(
            f"{name + ':':<6} {total:>9,} memberships, {due:,} due: run {r['run_s']:.2f} s, "
            f"{r['cpu_s']:.2f} s CPU (runs {r['runs_s']}, load {r['load_s']:.1f} s, "
            f"{r['messages']:,} messages queued)"
        )
    big, small = results["big"], results["small"]
    ratio = big["run_s"] / small["run_s"]
    per_item = big["run_s"] / big["bulk_s"]
    print(f"ratio big/small: {ratio:.2f} (target <= 1.5)")
    print(
        f"bulk: the same rows in one transaction {big['bulk_s']:.2f} s (big), "
        f"{small['bulk_s']:.2f} s (small); per_item_ratio run/bulk: {per_item:.2f} (goal <= 10)"
    )
    print(json.dumps({
        "big_s": big["run_s"],
        "small_s": small["run_s"],
        "ratio": round(ratio, 3),
        "bulk_s": big["bulk_s"],
        "small_bulk_s": small["bulk_s"],
        "per_item_ratio": round(per_item, 3),
        "big_total": big_total,
        "small_total": small_total,
        "due": due,
        "big_cpu_s": big["cpu_s"],
        "small_cpu_s": small["cpu_s"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
