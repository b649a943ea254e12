"""Pacing benchmark: a 10,000-recipient change through the outbox and a Celery worker to a server
that enforces Exchange Online's limits (tests/support/servers/limits.py).

A group of N mail-enabled members is renamed with "Object being modified" ticked, so the change
writes N / 100 Bcc messages; a Celery worker subprocess (over a private redis-server) sends them
to the limit-enforcing server running in this process. Time is scaled: a lane "minute" is
--minute seconds (DIRMGR_LANE_MINUTE_SECONDS, read by the worker's send lanes and by the server),
so the run takes about a minute instead of hours of real Exchange Online time.

Two runs, each on a fresh store and server (one mailbox each):
- paced: the store's sending limits are set to Exchange Online's (3 connections, 30 messages a
  minute, 500 recipients a message, 10,000 a day);
- learned: no limits set; the lane learns them from the server's replies alone.

The floor is the least time the limits allow: at most 30 messages in any minute, so
(ceil(messages / 30) − 1) minutes. Prints each run and, last, one JSON line: delivered, dead,
throttle_replies, elapsed_s, floor_s, ratio (elapsed / floor), and learned_* for the second run.
Goals: all delivered, none dead, throttle replies ≤ 1 % of messages, ratio ≤ 1.2; learned: none
dead, ratio ≤ 2.

    .venv/bin/python bench/pacing.py            # 10,000 recipients, a minute of 10 s
    .venv/bin/python bench/pacing.py --smoke    # 600 recipients, 2 a minute, a minute of 2 s
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.delivery import setup_django, start_redis, start_worker  # noqa: E402
from tests.support.net import free_port  # noqa: E402

BCC_BATCH = 100  # recipients per message, as NOTIFICATION_BCC_BATCH writes them


@dataclass(frozen=True)
class Scenario:
    members: int
    minute: float
    connections: int = 3
    per_minute: int = 30
    per_day: int = 10_000
    per_message: int = 500

    @property
    def messages(self) -> int:
        return math.ceil(self.members / BCC_BATCH)

    @property
    def floor_s(self) -> float:
        return (math.ceil(self.messages / self.per_minute) - 1) * self.minute


FULL = Scenario(members=10_000, minute=10.0)
SMOKE = Scenario(members=600, minute=2.0, per_minute=2)


def main() -> None:
    args = parse_args()
    scenario = SMOKE if args.smoke else FULL
    if args.minute:
        scenario = Scenario(**{**scenario.__dict__, "minute": args.minute})
    with tempfile.TemporaryDirectory(prefix="bench-pacing-") as workdir:
        results = run(scenario, Path(workdir))
    report(scenario, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small run for CI (≤ 30 s)")
    parser.add_argument("--minute", type=float, default=0.0, help="seconds in a lane minute")
    return parser.parse_args()


def run(scenario: Scenario, workdir: Path) -> dict[str, dict]:
    redis_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
        "DIRMGR_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DIRMGR_LANE_MINUTE_SECONDS": str(scenario.minute),
        "NOTIFICATION_BCC_BATCH": str(BCC_BATCH),
    }
    os.environ.update(env)
    processes = [start_redis(redis_port, workdir)]
    try:
        processes.append(start_worker(env, 2, workdir))  # boots while the database migrates
        setup_django()
        warm_up()
        return {
            "paced": one_run(scenario, budget=True),
            "learned": one_run(scenario, budget=False),
        }
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(15)


def warm_up() -> None:
    """One message through the worker before any timing: its start-up is not the lane's."""
    from identitystores.models import IdentityStore
    from notifications.models import NotificationSettings
    from notifications.outbox import enqueue, new_message
    from tests.support.servers.smtp import SMTPTestServer

    server = SMTPTestServer(sink=True).start()
    try:
        store = IdentityStore.objects.create(name="Warm-up")
        settings = NotificationSettings.objects.create(
            store=store, smtp_host="127.0.0.1", port=server.port, from_email="w@bench.test"
        )
        enqueue([new_message(store, settings, subject="Warm-up", body_text="-", to=["a@b.test"])])
        server.wait_for(1, timeout=60)
    finally:
        server.stop()


def one_run(scenario: Scenario, *, budget: bool) -> dict:
    """A fresh store and server; the change; seconds until every message is sent or dead."""
    from tests.support.servers.limits import ExchangeLimits, LimitedSMTPServer

    limits = ExchangeLimits(
        connections=scenario.connections,
        per_minute=scenario.per_minute,
        per_day=scenario.per_day,
        per_message=scenario.per_message,
        minute=scenario.minute,
    )
    server = LimitedSMTPServer(limits=limits, sink=True).start()
    try:
        group = build(scenario, server.port, budget)
        start = time.perf_counter()
        rename(group)
        counts = wait_until_done(group.store, scenario)
        elapsed = time.perf_counter() - start
    finally:
        server.stop()
    return {
        "delivered": counts["sent"],
        "dead": counts["dead"],
        "messages": counts["total"],
        "recipients_delivered": server.recipients,
        "throttle_replies": server.throttle_replies,
        "replies": server.replies,
        "elapsed_s": round(elapsed, 2),
    }


def build(scenario: Scenario, port: int, budget: bool):
    """A store sending to `port`, and a group of `members` mail-enabled users."""
    from directory.models import DirectoryObject, GroupMembership
    from identitystores.models import IdentityStore
    from notifications.models import NotificationSettings

    store = IdentityStore.objects.create(name=f"Pacing {'paced' if budget else 'learned'}")
    limits = {}
    if budget:
        limits = dict(
            max_connections=scenario.connections,
            max_messages_per_minute=scenario.per_minute,
            max_recipients_per_message=scenario.per_message,
            max_recipients_per_day=scenario.per_day,
        )
    NotificationSettings.objects.create(
        store=store,
        smtp_host="127.0.0.1",
        port=port,
        from_email="directory@bench.test",
        notify_modified_object=True,
        **limits,
    )
    group = DirectoryObject.objects.create(
        store=store, kind="group", name="All staff", security_type="public"
    )
    users = DirectoryObject.objects.bulk_create(
        DirectoryObject(store=store, kind="user", name=f"User {i}", email=f"user{i}@bench.test")
        for i in range(scenario.members)
    )
    GroupMembership.objects.bulk_create(
        (GroupMembership(group=group, member_id=user.pk) for user in users), batch_size=5000
    )
    return group


def rename(group) -> None:
    """The change: through the change service, committed, so its mail is queued on commit."""
    from directory.changes import Actor, update_attributes
    from directory.models import Route

    update_attributes(group, Actor(route=Route.MANAGEMENT_SHELL), name="All staff (renamed)")


def wait_until_done(store, scenario: Scenario) -> dict[str, int]:
    from notifications.models import OutgoingMessage

    Status = OutgoingMessage.Status
    rows = OutgoingMessage.objects.filter(store=store)
    deadline = time.monotonic() + 60 + 6 * scenario.floor_s
    while True:
        counts = dict(
            sent=rows.filter(status=Status.SENT).count(),
            dead=rows.filter(status=Status.DEAD).count(),
            total=rows.count(),
        )
        if counts["sent"] + counts["dead"] == counts["total"] > 0:
            return counts
        if time.monotonic() > deadline:
            raise SystemExit(f"not drained in time: {counts}")
        time.sleep(0.05)


def report(scenario: Scenario, results: dict[str, dict]) -> None:
    paced, learned = results["paced"], results["learned"]
    floor = scenario.floor_s
    print(
        f"{scenario.members:,} recipients in {scenario.messages} messages; server limits: "
        f"{scenario.connections} connections, {scenario.per_minute}/min, "
        f"{scenario.per_message} recipients/message, {scenario.per_day:,}/day; "
        f"a minute = {scenario.minute:g} s; floor {floor:g} s"
    )
    for name, run in results.items():
        print(
            f"{name:8} delivered {run['delivered']}/{run['messages']} messages "
            f"({run['recipients_delivered']:,} recipients), dead {run['dead']}, "
            f"throttle replies {run['throttle_replies']} {run['replies']}, "
            f"{run['elapsed_s']:.1f} s = {run['elapsed_s'] / floor:.2f}x the floor"
        )
    figures = {
        "messages": paced["messages"],
        "delivered": paced["delivered"],
        "dead": paced["dead"],
        "throttle_replies": paced["throttle_replies"],
        "elapsed_s": paced["elapsed_s"],
        "floor_s": round(floor, 2),
        "ratio": round(paced["elapsed_s"] / floor, 3),
        "learned_delivered": learned["delivered"],
        "learned_dead": learned["dead"],
        "learned_throttle_replies": learned["throttle_replies"],
        "learned_elapsed_s": learned["elapsed_s"],
        "learned_ratio": round(learned["elapsed_s"] / floor, 3),
    }
    print(
        "goals: delivered = all, dead = 0, throttle replies ≤ 1 %, ratio ≤ 1.2; "
        "learned: dead = 0, ratio ≤ 2"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
