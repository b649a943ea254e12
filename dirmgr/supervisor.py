"""Running the development services side by side, and stopping every one of their processes.

Each service runs in a process group of its own, so stopping it also reaches its grandchildren
(Celery's pool processes): leaders get SIGTERM first (a worker finishes its current task and
stops its pool), then whatever is left in each group, then SIGKILL. The supervisor watches them
and reports the first that exits by itself, so `devserver` can stop the rest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_GRACE = 15.0  # seconds a service gets to finish (a worker completes its current task)


@dataclass
class Service:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        # A session of its own: Ctrl-C in the terminal reaches only the supervisor, which then
        # stops each group in order; killpg also reaches grandchildren (Celery's pool processes).
        self.process = subprocess.Popen(self.argv, cwd=BASE_DIR, start_new_session=True)

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
            os.killpg(self.process.pid, signum)

    def group_alive(self) -> bool:
        self.process.poll()  # reap the leader so it does not linger as a zombie
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True


class Supervisor:
    def __init__(self, services: list[Service]) -> None:
        self.services = services
        self.stopping = threading.Event()

    def start(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: self.stopping.set())
        for service in self.services:
            service.start()

    def first_exited(self) -> Service | None:
        return next((s for s in self.services if s.process.poll() is not None), None)

    def watch(self) -> int:
        """Block until asked to stop (exit 0) or until a service exits by itself (exit 1)."""
        while not self.stopping.wait(0.5):
            if dead := self.first_exited():
                say(f"{dead.name} exited with code {dead.process.returncode}; stopping the rest.")
                return 1
        return 0

    def stop(self) -> None:
        """Leaders first (a Celery worker then stops its own pool), then whatever is left in
        each group, and SIGKILL for anything still there."""
        started = [s for s in self.services if s.process is not None]
        for service in reversed(started):
            service.process.terminate()
        leaders = wait_while(started, lambda s: s.process.poll() is None, STOP_GRACE)
        for service in leaders:
            say(f"{service.name} did not stop in {STOP_GRACE:.0f} s; killing it.")
        for service in started:
            service.signal_group(signal.SIGTERM)
        for service in wait_while(started, Service.group_alive, 3.0):
            service.signal_group(signal.SIGKILL)
        for service in started:
            service.process.wait()


def wait_while(services: list[Service], predicate, seconds: float) -> list[Service]:
    """Poll until no service satisfies predicate or time is up; returns those that still do."""
    deadline = time.monotonic() + seconds
    pending = [s for s in services if predicate(s)]
    while pending and time.monotonic() < deadline:
        time.sleep(0.1)
        pending = [s for s in pending if predicate(s)]
    return pending


def say(text: str) -> None:
    print(f"[dirmgr] {text}", flush=True)
