"""Fixtures for the delivery tests: an in-memory broker to read what was enqueued, Celery run
eagerly for pages that queue work, and for the `worker` tests a Redis server of the test's own
plus real Celery worker processes sharing the test database. Registered in tests/conftest.py
(pytest_plugins)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support.net import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Published:
    task: str
    ids: list[int]
    eta: str | None


@contextmanager
def broker(url: str, options: dict | None = None) -> Iterator:
    """Point this process's Celery app at another broker for the duration of a test."""
    from dirmgr.celery import app

    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = url, options or {}
    _reset_pools(app)
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        _reset_pools(app)


def _reset_pools(app) -> None:
    """Connections and producers are pooled per broker URL: drop them when the URL changes."""
    from kombu import pools

    from core.queueing import breaker

    breaker.reset()  # another broker: what the last one did says nothing about it
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def memory_broker() -> Iterator:
    """kombu's in-memory transport; yields `drain()` → the [Published] tasks, consumed."""
    with broker("memory://") as app:

        def drain(queue: str = "mail") -> list[Published]:
            found = []
            with app.connection_for_read() as conn, conn.SimpleQueue(queue) as q:
                while True:
                    try:
                        message = q.get(block=False)
                    except q.Empty:
                        return found
                    args, _kwargs, _embed = message.decode()
                    headers = message.headers
                    found.append(Published(headers["task"], args[0], headers["eta"]))
                    message.ack()

        drain()  # nothing left over from an earlier test
        yield drain


# -- worker tests: Redis, the shared database, Celery worker processes ---------------------------


class RedisServer:
    """A private redis-server on a free loopback port; `stop()` / `start()` simulate an outage."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def eager_celery():
    """Run queued tasks in this process at once, for pages that queue work (Sync now)."""
    from dirmgr.celery import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install -y redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    with broker(server.url):
        yield server
    server.stop()


def database_url() -> str:
    """The test database as DATABASE_URL for a worker process (a file for SQLite)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = db["NAME"]
        assert "memory" not in str(name), "worker tests need the file-based SQLite test database"
        return f"sqlite:///{name}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class CeleryWorker:
    """`celery -A dirmgr worker -Q mail` (with embedded beat) in its own process group; `queues`
    "mail,celery" also takes the other tasks (directory sync), as production workers do."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str, queues: str = "mail"):
        self.env = env
        self.queues = queues
        self.workdir = workdir
        self.logfile = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.logfile, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dirmgr",
                "worker",
                "-Q",
                self.queues,
                "--concurrency",
                "2",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "-B",
                "--schedule",
                str(self.workdir / "beat-schedule"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process, pool children, beat): a machine dying."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None

    def log(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.workdir.glob("worker-*.log"))
        )


@pytest.fixture
def celery_worker(redis_server, tmp_path, transactional_db) -> Iterator:
    """Factory: `celery_worker(MAIL_RETRY_BASE_SECONDS="1")` → a started CeleryWorker.

    The worker shares the test database (committed rows: transactional_db) and the test's own
    Redis; settings come from the environment, as in production.
    """
    started: list[CeleryWorker] = []

    def start(queues: str = "mail", **overrides: str) -> CeleryWorker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis_server.url,
            "DIRMGR_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": settings.SECRET_KEY,
            "DIRMGR_CA_BUNDLE": settings.DIRMGR_CA_BUNDLE,
            "MAIL_SWEEP_INTERVAL_SECONDS": "1",
            **overrides,
        }
        if settings.ENCRYPTION_KEYS:
            env["DIRMGR_ENCRYPTION_KEYS"] = ",".join(settings.ENCRYPTION_KEYS)
        worker = CeleryWorker(env, tmp_path, f"worker-{len(started) + 1}", queues)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def use_file_sqlite_for_tests(tmp_path_factory) -> None:
    """Worker processes cannot see an in-memory database: give SQLite test runs a file."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not db.get("TEST", {}).get("NAME"):
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(path)
