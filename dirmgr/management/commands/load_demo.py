"""``manage.py load_demo``: demo stores with a small directory each and an ``admin`` login, SMTP
pointed at the catcher."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from dirmgr import demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo admin, stores, portal, SMTP settings and directory."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--catcher-port",
            type=int,
            default=int(os.environ.get("DIRMGR_CATCHER_PORT", "2525")),
            help="port of the local mail catcher the demo SMTP settings point at",
        )

    def handle(self, *args, catcher_port: int, **options) -> None:
        password = demo.demo_password()
        demo.load(password, catcher_port)
        self.stdout.write(f"Demo data ready. Sign in as {demo.ADMIN_USERNAME} / {password}")
