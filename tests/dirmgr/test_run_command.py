"""``scripts/run`` as a newcomer uses it: start, sign in, send a test email from the Notifications
page's Test Server endpoint, find it in the Mailbox, Ctrl-C, and nothing it started is left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "newcomer-demo-password"
RECIPIENT = "newcomer@contoso.test"
# Variables that would point the run at shared servers or another configuration.
NOT_INHERITED = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}


class Run:
    """scripts/run in a session of its own, its output collected by a thread."""

    def __init__(self, var_dir: Path) -> None:
        self.port, self.catcher_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update(
            DIRMGR_VAR_DIR=str(var_dir),
            DIRMGR_PORT=str(self.port),
            DIRMGR_CATCHER_PORT=str(self.catcher_port),
            DIRMGR_DEMO_PASSWORD=PASSWORD,
        )
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.port}"

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            assert self.process.poll() is None, f"scripts/run exited:\n{self.output[-5000:]}"
            time.sleep(0.3)
        pytest.fail(f"timed out waiting for {what}:\n{self.output[-5000:]}")


class FormReader(HTMLParser):
    """The values a browser would submit for the form with the given id."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.data: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select] = a.get("value") or ""
        elif not self.inside or not a.get("name"):
            return
        elif tag == "input" and a.get("type") in ("checkbox", "radio"):
            if "checked" in a:
                self.data[a["name"]] = a.get("value") or "on"
        elif tag == "input":
            self.data[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a["name"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def sign_in(run: Run) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only, never through a proxy
    session.get(f"{run.base}/login/", timeout=10)
    response = session.post(
        f"{run.base}/login/",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=10,
    )
    assert response.url == f"{run.base}/identity-stores/"
    return session


def send_test_email(run: Run, session: requests.Session, store_id: str) -> dict:
    page = session.get(
        f"{run.base}/identity-stores/{store_id}/configurations/notifications/", timeout=10
    )
    form = FormReader("settings-form")
    form.feed(page.text)
    assert form.data["smtp_host"] == "127.0.0.1"
    assert form.data["port"] == str(run.catcher_port)
    response = session.post(
        f"{run.base}/identity-stores/{store_id}/configurations/notifications/test-server/",
        data={**form.data, "test_recipient": RECIPIENT},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:2000]
    return response.json()


def processes() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, session id, state) for every live process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            table[int(entry.name)] = (int(fields[1]), int(fields[3]), fields[0])
    return table


def started_by(pid: int) -> tuple[set[int], set[int]]:
    """Every descendant of pid, and the sessions they run in."""
    table = processes()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (ppid, _, _) in table.items() if ppid in frontier} - found
        found |= frontier
    return found, {table[p][1] for p in found if p in table}


def still_running(pids: set[int], sessions: set[int]) -> list[int]:
    return [
        p
        for p, (_, sid, state) in processes().items()
        if state != "Z" and (p in pids or sid in sessions)
    ]


def test_it_runs_everything_sends_a_test_email_and_stops_cleanly(tmp_path):
    run = Run(tmp_path)
    pids: set[int] = set()
    sessions: set[int] = set()
    try:
        # A first run may install the project into .venv; later runs start in seconds.
        run.wait_for(lambda: "Sign in as    admin / " in run.output, "the start banner", 300)
        assert f"http://127.0.0.1:{run.port}/" in run.output
        assert f"admin / {PASSWORD}" in run.output

        session = sign_in(run)
        stores = session.get(f"{run.base}/identity-stores/", timeout=10).text
        found = re.search(r'href="/identity-stores/(\d+)/edit/">Contoso Active Directory<', stores)
        assert found, stores
        assert "Fabrikam Entra ID" in stores

        result = send_test_email(run, session, found.group(1))
        assert result["ok"] is True, result

        mailbox = session.get(f"{run.base}/mailbox/", timeout=10).text
        message = re.search(r'href="(/mailbox/\d+/)"', mailbox)
        assert message and RECIPIENT in mailbox, mailbox
        opened = session.get(run.base + message.group(1), timeout=10).text
        assert "Text part" in opened and RECIPIENT in opened

        def worker_alive() -> bool:
            return requests.get(f"{run.base}/health/", timeout=10).json()["worker"]["ok"]

        run.wait_for(worker_alive, "the worker heartbeat", 60)
        pids, sessions = started_by(run.process.pid)
        assert len(sessions) >= 4, "web, worker, beat and catcher each run in their own group"
    finally:
        now_pids, now_sessions = started_by(run.process.pid)
        pids, sessions = pids | now_pids, sessions | now_sessions
        run.process.send_signal(signal.SIGINT)
        try:
            code = run.process.wait(timeout=60)
        finally:
            leftovers = still_running(pids, sessions)
            for pid in leftovers:  # clean up after a failure; the assertion below reports it
                os.kill(pid, signal.SIGKILL)
    assert code == 0, run.output[-5000:]
    assert leftovers == []
    assert "[dirmgr] Stopped." in run.output


def test_it_stops_everything_when_one_service_dies(tmp_path):
    run = Run(tmp_path)
    try:
        run.wait_for(lambda: "Sign in as    admin / " in run.output, "the start banner", 300)
        pids, sessions = started_by(run.process.pid)
        catcher = next(p for p in pids if f"--port\0{run.catcher_port}" in cmdline(p))
        os.kill(catcher, signal.SIGKILL)
        code = run.process.wait(timeout=60)
    finally:
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGINT)
            run.process.wait(timeout=60)
    assert code == 1
    assert "mail catcher exited with code -9; stopping the rest." in run.output
    assert still_running(pids, sessions) == []


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_text()
    except OSError:
        return ""
