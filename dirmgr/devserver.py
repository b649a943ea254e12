"""``python -m dirmgr.devserver`` (what ``scripts/run`` starts): the whole product on one machine.

Migrates, loads the demo data, then runs the web app, a Celery worker, Celery beat and the local
mail catcher, each in its own process group (`supervisor.py`). Ctrl-C (SIGINT) or SIGTERM stops
them all, group by group, so no Celery pool process outlives the command. If one of them dies,
the others are stopped too: a half-running demo is more confusing than none. After changing
code, run it again.

Ports: DIRMGR_PORT (web, default 8000) and DIRMGR_CATCHER_PORT (SMTP catcher, default 2525).
The database and broker are whatever settings say: SQLite and a folder broker unless
DATABASE_URL / CELERY_BROKER_URL are set.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .supervisor import Service, Supervisor, say

HOST = "127.0.0.1"


def port_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SystemExit(f"{name} must be a port number, not {value!r}.")
    return int(value)


def require_free(port: int, variable: str) -> None:
    with socket.socket() as s:
        # As the servers themselves do: connections of a previous run lingering in TIME_WAIT
        # must not count as "in use".
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            raise SystemExit(
                f"Port {port} on {HOST} is in use. Stop what uses it, or pick another port: "
                f"{variable}=<port> scripts/run"
            ) from None


def prepare(catcher_port: int) -> str:
    """Migrate and load the demo data in this process; returns the admin password."""
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    from dirmgr import demo

    say("Applying database migrations…")
    call_command("migrate", interactive=False, verbosity=0)
    password = demo.demo_password()
    demo.load(password, catcher_port)
    connections.close_all()
    return password


def services(web_port: int, catcher_port: int) -> list[Service]:
    from django.conf import settings

    python = sys.executable
    celery = [python, "-m", "celery", "-A", "dirmgr"]
    # Used by Celery's default file scheduler; a database scheduler in settings ignores it.
    schedule = ["--schedule", str(Path(settings.VAR_DIR) / "celerybeat-schedule")]
    return [
        Service("mail catcher", [python, "manage.py", "run_mail_catcher",
                                 "--host", HOST, "--port", str(catcher_port)]),
        Service("worker", [*celery, "worker", "-Q", "mail,celery", "--concurrency", "2",
                           "--loglevel", "INFO"]),
        Service("beat", [*celery, "beat", *schedule, "--loglevel", "INFO"]),
        # No autoreload: a web process reloading alone would run newer code than the worker.
        Service("web", [python, "manage.py", "runserver", "--noreload", f"{HOST}:{web_port}"]),
    ]  # fmt: skip


def wait_until_answers(url: str, supervisor: Supervisor, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not supervisor.stopping.is_set():
        if supervisor.first_exited():
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answers; an error page is the app's to explain
        except (urllib.error.URLError, OSError):
            supervisor.stopping.wait(0.3)
    return False


def banner(web_port: int, catcher_port: int, password: str) -> None:
    base = f"http://{HOST}:{web_port}"
    say("dirmgr is running.")
    print(
        f"\n  Admin Center  {base}/\n"
        f"  Sign in as    admin / {password}\n"
        f"  Mailbox       {base}/mailbox/   (SMTP catcher on {HOST}:{catcher_port})\n"
        f"  Health        {base}/health/\n\n"
        "  Press Ctrl-C to stop everything.\n",
        flush=True,
    )


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DIRMGR_MAILBOX", "true")  # the demo stores send to the local catcher
    web_port = port_from_env("DIRMGR_PORT", 8000)
    catcher_port = port_from_env("DIRMGR_CATCHER_PORT", 2525)
    require_free(web_port, "DIRMGR_PORT")
    require_free(catcher_port, "DIRMGR_CATCHER_PORT")
    password = prepare(catcher_port)
    supervisor = Supervisor(services(web_port, catcher_port))
    try:
        supervisor.start()
        if wait_until_answers(f"http://{HOST}:{web_port}/login/", supervisor):
            banner(web_port, catcher_port, password)
        elif not supervisor.stopping.is_set() and not supervisor.first_exited():
            say("The web app does not answer yet; its output above says why.")
        status = supervisor.watch()
    finally:
        say("Stopping…")
        supervisor.stop()
        say("Stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
