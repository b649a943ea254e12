"""``manage.py run_mail_catcher``: a local SMTP server whose mail the Mailbox page shows."""

from __future__ import annotations

import logging
import signal
import threading

from aiosmtpd.controller import Controller
from django.core.management.base import BaseCommand

from catcher.server import CatcherHandler


class Command(BaseCommand):
    help = "Run a local SMTP server that keeps every message it receives for the Mailbox page."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=2525, help="port to listen on")

    def handle(self, *args, host: str, port: int, **options) -> None:
        # aiosmtpd logs every connection at INFO; the catcher logs one line per message instead.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = CatcherHandler()
        controller = Controller(handler, hostname=host, port=port, **handler.controller_options())
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"Mail catcher listening on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
            self.stdout.write("Mail catcher stopped.")
