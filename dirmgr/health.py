"""``/health/``: is the database reachable, is the broker reachable, are workers running tasks?

Load balancers and compose health checks read the HTTP status: 200 when the database and the
broker answer, 503 otherwise. The worker heartbeat is reported but does not fail the check: a
web process can serve pages while workers restart. The heartbeat is a task that Celery beat
sends every 30 seconds (and each worker once at start) and a worker runs; it stores the time in
the shared cache, so a stale value means beat, the workers or the queue are stuck.

Errors are reported by exception class only: the endpoint needs no sign-in, and messages can
name internal hosts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from celery import shared_task
from celery.signals import worker_ready
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import Error as DatabaseError
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.exceptions import KombuError

HEARTBEAT_KEY = "dirmgr:worker-heartbeat"
HEARTBEAT_STALE_AFTER = 120  # seconds: four missed beats
BROKER_TIMEOUT = 3  # seconds, so a health check answers before its own timeout

Check = dict[str, object]


@shared_task(name="dirmgr.health.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


@worker_ready.connect
def _heartbeat_on_start(**kwargs) -> None:
    """A first beat through the queue right away, rather than after the first beat interval."""
    record_heartbeat.delay()


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_broker() -> Check:
    from dirmgr.celery import app

    try:
        with app.connection_for_write(connect_timeout=BROKER_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    except (KombuError, OSError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_worker(now: float | None = None) -> Check:
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # any cache backend error: report it, keep answering
        return {"ok": False, "status": "unknown", "error": type(exc).__name__}
    if beat is None:
        return {"ok": False, "status": "missing", "last_heartbeat": None}
    age = max(0.0, (now or time.time()) - beat)
    return {
        "ok": age <= HEARTBEAT_STALE_AFTER,
        "status": "ok" if age <= HEARTBEAT_STALE_AFTER else "stale",
        "last_heartbeat": datetime.fromtimestamp(beat, UTC).isoformat(),
        "age_seconds": round(age, 1),
    }


def report() -> dict[str, object]:
    checks = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    healthy = checks["database"]["ok"] and checks["broker"]["ok"]
    return {"status": "ok" if healthy else "error", **checks}


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    found = report()
    return JsonResponse(found, status=200 if found["status"] == "ok" else 503)


def main(argv: list[str] | None = None) -> int:
    """``python -m dirmgr.health [--heartbeat]`` for container health checks: prints the report;
    exits 0 when the database and broker answer (with --heartbeat: when the heartbeat is fresh,
    which shows that beat schedules and a worker runs tasks)."""
    import argparse
    import json

    import django

    parser = argparse.ArgumentParser(prog="python -m dirmgr.health")
    parser.add_argument("--heartbeat", action="store_true", help="require a fresh heartbeat")
    args = parser.parse_args(argv)
    django.setup()
    found = report()
    print(json.dumps(found))
    healthy = found["worker"]["ok"] if args.heartbeat else found["status"] == "ok"
    return 0 if healthy else 1


if __name__ == "__main__":
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    sys.exit(main())
