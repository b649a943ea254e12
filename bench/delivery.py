"""Delivery benchmark: N notifications of ~2 KB through outbox → Celery worker → SMTP to a sink.

The sink is Postfix's `smtp-sink` when installed (a C server: it costs next to nothing per
message, so it hides no difference between contenders), else the aiosmtpd test server in sink
mode. In the same run, to the same sink: Django's SMTP backend (`send_messages` over one
connection, building the same text + HTML message), a bare aiosmtplib loop on one connection
that sends the bytes the pipeline sends (`notifications.delivery.render_message`) with no
database, broker or worker, and — as the ceiling of the machine — Postfix's `smtp-source`
(16 sessions kept open, 2 KB messages). Prints msgs/s for each and the ratios; the last line is
one JSON object.

    .venv/bin/python bench/delivery.py             # N = 5,000
    .venv/bin/python bench/delivery.py --smoke     # N = 300, what CI runs (also --n 300)

Everything is private to the run: a SQLite file in a temporary directory, a redis-server on a
free port, the sink, and the worker (`celery -A dirmgr worker -Q mail`, a subprocess). The
pipeline writes its rows as a stream of changes (CHANGE_SIZE rows per transaction) and is timed
from the first outbox insert until every row reads "sent".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.net import free_port, wait_for_port  # noqa: E402

FROM = "directory@bench.test"
SMTP_SINK = Path("/usr/sbin/smtp-sink")  # Debian package postfix; only its test programs run
SMTP_SOURCE = Path("/usr/sbin/smtp-source")
TEXT = ("Group 'Sales EMEA' was changed by admin@bench.test: member added. " * 14).strip()
CHANGE_SIZE = 100  # outbox rows per transaction in the pipeline contender
HTML = "<html><body><p>" + ("Group <b>Sales EMEA</b> was changed: member added. " * 18) + "</p>"


def main() -> None:
    args = parse_args()
    if args.sink:
        serve_sink()
        return
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as workdir:
        run(args, Path(workdir))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="messages per contender")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 2,
        help="worker processes (celery --concurrency)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the contenders take turns, N/rounds messages each turn",
    )
    parser.add_argument("--smoke", action="store_true", help="N = 300: the CI smoke run")
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.n = 300
    return args


def run(args: argparse.Namespace, workdir: Path) -> None:
    redis_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
        "DIRMGR_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    os.environ.update(env)
    processes: list[subprocess.Popen] = []
    try:
        processes.append(start_redis(redis_port, workdir))
        sink, sink_port = start_sink(workdir)
        processes.append(sink)
        setup_django()
        store_settings = make_store(sink_port)
        processes.append(start_worker(env, args.concurrency, workdir))
        pipeline(store_settings, 20)  # warm-up: worker ready, imports done
        contenders = {
            "pipeline": lambda n: pipeline(store_settings, n),
            "django": lambda n: django_backend(sink_port, n),
            "bare": lambda n: bare_aiosmtplib(sink_port, n),
        }
        if SMTP_SOURCE.exists():
            contenders["smtp_source"] = lambda n: smtp_source(sink_port, n)
        results = interleaved(contenders, args.n, args.rounds)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(15)
    report(args, results)


def interleaved(contenders: dict, n: int, rounds: int) -> dict[str, float]:
    """msgs/s of each contender over N messages sent in turns, so a change in machine load
    during the run affects every contender alike."""
    rounds = max(1, min(rounds, n))
    sizes = [n // rounds + (1 if i < n % rounds else 0) for i in range(rounds)]
    elapsed = dict.fromkeys(contenders, 0.0)
    for size in sizes:
        for name, send in contenders.items():
            elapsed[name] += send(size)
    return {name: n / seconds for name, seconds in elapsed.items()}


def report(args: argparse.Namespace, rates: dict[str, float]) -> None:
    sink = "Postfix smtp-sink" if SMTP_SINK.exists() else "an aiosmtpd sink"
    print(
        f"{args.n} messages of ~{len(message_bytes()) / 1024:.1f} KB each, to {sink} "
        f"(contenders in {args.rounds} interleaved rounds); load {load()}"
    )
    labels = {
        "pipeline": f"pipeline (outbox → Celery worker ×{args.concurrency}, Redis → SMTP)",
        "django": "Django SMTP backend, send_messages on one connection",
        "bare": "bare aiosmtplib loop on one connection",
        "smtp_source": "Postfix smtp-source, 16 sessions (the ceiling)",
    }
    for name, rate in rates.items():
        print(f"{labels[name]:<72} {rate:8.0f} msgs/s")
    figures = figures_of(args.n, rates)
    print(
        f"pipeline / Django: {figures['ratio_vs_django']:.2f}x (target ≥ 2.5), "
        f"pipeline / bare: {figures['ratio_vs_bare']:.2f}x, "
        f"pipeline / smtp-source: {figures.get('ratio_vs_smtp_source', 0):.3f}x (target ≥ 0.1)"
    )
    print(json.dumps(figures))


def figures_of(n: int, rates: dict[str, float]) -> dict:
    """The JSON line: every rate and the pipeline's ratio to each other contender."""
    figures: dict = {"n": n, "load": load()}
    for name, rate in rates.items():
        figures[f"{name}_msgs_per_s"] = round(rate, 1)
    for name, rate in rates.items():
        if name != "pipeline":
            figures[f"ratio_vs_{name}"] = round(rates["pipeline"] / rate, 3)
    return figures


def load() -> str:
    """The 1, 5 and 15 minute load averages (/proc/loadavg): how busy the machine was."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the contenders ------------------------------------------------------------------------------


def pipeline(store_settings, n: int) -> float:
    """Seconds from writing the first of N outbox rows until all read "sent".

    The rows are written as a stream of changes would write them: CHANGE_SIZE rows per
    transaction, each enqueued when its transaction commits, so workers start on the first
    change while later ones are still being written.
    """
    from django.db import transaction

    from notifications.models import OutgoingMessage
    from notifications.outbox import enqueue, new_message

    store = store_settings.store
    start = time.perf_counter()
    rows = []
    for first in range(0, n, CHANGE_SIZE):
        with transaction.atomic():
            rows += enqueue(
                new_message(
                    store,
                    store_settings,
                    subject=f"Group changed #{i}",
                    body_text=TEXT,
                    body_html=HTML,
                    to=[f"user{i}@bench.test"],
                )
                for i in range(first, min(first + CHANGE_SIZE, n))
            )
    # Only this run's rows are unsent; (store, status) is indexed, so polling costs little.
    Status = OutgoingMessage.Status
    unsent = [Status.QUEUED, Status.SENDING, Status.RETRYING]
    pending = OutgoingMessage.objects.filter(store=store, status__in=unsent)
    deadline = time.monotonic() + 120 + n / 50
    while pending.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"pipeline: not all sent in time ({pending.count()} left)")
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    assert OutgoingMessage.objects.filter(pk__in=[r.pk for r in rows], status="sent").count() == n
    return elapsed


def django_backend(port: int, n: int) -> float:
    """Seconds for Django's SMTP backend to build and send N messages over one connection."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    start = time.perf_counter()
    messages = []
    for i in range(n):
        message = EmailMultiAlternatives(f"Group changed #{i}", TEXT, FROM, [f"user{i}@bench.test"])
        message.attach_alternative(HTML, "text/html")
        messages.append(message)
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port, timeout=30
    )
    sent = connection.send_messages(messages)
    connection.close()
    assert sent == n, f"Django sent {sent} of {n}"
    return time.perf_counter() - start


def bare_aiosmtplib(port: int, n: int) -> float:
    """Seconds for one aiosmtplib connection to render and send N messages, nothing else: the
    same bytes the pipeline sends (the project's renderer), on the same event loop (uvloop),
    without outbox, broker or worker."""
    import aiosmtplib

    from notifications.delivery import render_message

    async def loop() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
        await smtp.connect()
        for i in range(n):
            message = render_message(unsaved_row(i))
            await smtp.sendmail(message.sender, message.recipients, message.data)
        await smtp.quit()

    start = time.perf_counter()
    uvloop.run(loop())
    return time.perf_counter() - start


def smtp_source(port: int, n: int) -> float:
    """Seconds for Postfix's smtp-source to send N 2 KB messages over 16 sessions kept open."""
    start = time.perf_counter()
    subprocess.run(
        [str(SMTP_SOURCE), "-s", "16", "-d", "-m", str(n), "-l", "2048"]
        + ["-f", "a@b.test", "-t", "c@d.test", f"127.0.0.1:{port}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def unsaved_row(i: int):
    """The i-th benchmark notification as an outbox row that is never saved."""
    from notifications.models import OutgoingMessage

    return OutgoingMessage(
        from_email=FROM,
        to=f"user{i}@bench.test",
        subject=f"Group changed #{i}",
        body_text=TEXT,
        body_html=HTML,
        message_id=f"<bench.{i}@bench.test>",
    )


def message_bytes() -> bytes:
    from notifications.delivery import render_message

    return render_message(unsaved_row(0)).data


# -- the surroundings ----------------------------------------------------------------------------


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:  # readers and the workers' writers do not block
        cursor.execute("PRAGMA journal_mode=WAL")


def make_store(sink_port: int):
    from identitystores.models import IdentityStore
    from notifications.models import NotificationSettings

    store = IdentityStore.objects.create(name="Bench")
    return NotificationSettings.objects.create(
        store=store, smtp_host="127.0.0.1", port=sink_port, from_email=FROM
    )


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    redis = shutil.which("redis-server")
    if redis is None:
        raise SystemExit("redis-server is not installed (apt-get install -y redis-server)")
    process = subprocess.Popen(
        [
            redis,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process


def start_sink(workdir: Path) -> tuple[subprocess.Popen, int]:
    """Postfix's smtp-sink when installed (never the Postfix daemon), else the aiosmtpd sink."""
    if not SMTP_SINK.exists():
        process = subprocess.Popen(
            [sys.executable, __file__, "--sink"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        return process, int(process.stdout.readline())
    port = free_port()
    # As root smtp-sink must drop privileges (-u); it prints counters only to a terminal.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    process = subprocess.Popen(
        [str(SMTP_SINK), "-c", *user, f"127.0.0.1:{port}", "256"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process, port


def serve_sink() -> None:
    """The test servers' SMTP server in sink mode, quiet, until terminated."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # The server's loop is created by the policy: uvloop makes the sink cheaper per message, so
    # it stays further from being the bottleneck (as a real mail server would), for every
    # contender alike.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from tests.support.servers.smtp import SMTPTestServer

    server = SMTPTestServer(sink=True).start()
    print(server.port, flush=True)
    while True:
        time.sleep(3600)


def start_worker(env: dict[str, str], concurrency: int, workdir: Path) -> subprocess.Popen:
    log = open(workdir / "worker.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dirmgr",
            "worker",
            "-Q",
            "mail",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


if __name__ == "__main__":
    main()
