"""/health/ answers without sign-in: 200 when database and broker answer, 503 otherwise."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dirmgr.health import HEARTBEAT_KEY, record_heartbeat

ROOT = Path(__file__).resolve().parents[2]

# Asks /health/ from a fresh process so the database and broker URLs come from the environment.
PROBE = """
import django, json
django.setup()
from django.test import Client
r = Client().get("/health/")
print(json.dumps({"status_code": r.status_code, "body": r.json()}))
"""


@pytest.fixture(autouse=True)
def private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe(tmp_path: Path, **env: str) -> dict:
    """The /health/ answer of a fresh process whose other service URLs are the embedded ones."""
    inherited = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    environment = {**inherited, "DIRMGR_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "testserver"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_reports_ok_without_sign_in(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["broker"] == {"ok": True}
    assert body["worker"] == {"ok": False, "status": "missing", "last_heartbeat": None}


def test_it_reports_a_fresh_worker_heartbeat(client, db):
    record_heartbeat()
    worker = client.get("/health/").json()["worker"]
    assert worker["ok"] is True
    assert worker["status"] == "ok"
    assert worker["age_seconds"] < 5


def test_it_reports_a_stale_heartbeat_but_stays_up(client, db):
    from django.core.cache import cache

    cache.set(HEARTBEAT_KEY, time.time() - 600)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["worker"]["status"] == "stale"


def test_it_answers_503_when_the_database_is_down(tmp_path):
    result = probe(tmp_path, DATABASE_URL=f"postgres://dirmgr@127.0.0.1:{closed_port()}/dirmgr")
    assert result["status_code"] == 503
    assert result["body"]["status"] == "error"
    assert result["body"]["database"] == {"ok": False, "error": "OperationalError"}
    assert result["body"]["broker"] == {"ok": True}


def test_it_answers_503_when_the_broker_is_down(tmp_path):
    started = time.monotonic()
    result = probe(tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    assert result["status_code"] == 503
    assert result["body"]["database"] == {"ok": True}
    assert result["body"]["broker"]["ok"] is False
    assert "127.0.0.1" not in json.dumps(result["body"])
    assert time.monotonic() - started < 20


def test_it_reports_from_the_command_line_for_container_health_checks(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}

    def command(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dirmgr.health", *args],
            cwd=ROOT,
            env={**env, "DIRMGR_VAR_DIR": str(tmp_path), **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )

    healthy = command()
    assert healthy.returncode == 0
    assert json.loads(healthy.stdout)["status"] == "ok"
    assert command("--heartbeat").returncode == 1  # no worker has run the heartbeat here
    broken = command(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["broker"]["ok"] is False
