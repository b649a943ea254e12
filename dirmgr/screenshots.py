"""``python -m dirmgr.screenshots [DIR] [--dark]`` (what ``scripts/screenshots`` runs): a PNG of
every page of the Admin Center at 1,366 px and at 390 px, with the demo data, in DIR
(docs/screenshots/ by default): DIR/1366/<page>.png and DIR/390/<page>.png.

It works on a throw-away copy of everything: a fresh SQLite database and var folder in a
temporary directory, migrated and loaded with the demo data, served by ``runserver`` on a free
loopback port, photographed by Debian's Chromium through Playwright, then removed. Nothing of
the developer's own database or ports is touched. The pages are those of dirmgr/tour.py, the list
the accessibility test walks too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WIDTHS = (1366, 390)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def environment(var_dir: Path, password: str) -> dict[str, str]:
    """The settings of the throw-away copy; the same for the server and for this process."""
    return {
        "DJANGO_SETTINGS_MODULE": "dirmgr.settings",
        "DIRMGR_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'screenshots.sqlite3'}",
        "DIRMGR_DEMO_PASSWORD": password,
        "DIRMGR_MAILBOX": "true",
        "DEBUG": "true",
        "CELERY_BROKER_URL": "memory://",
    }


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, check=True)


def wait_until_answers(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The web server exited with code {server.returncode}.")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s.")


def tour() -> list[tuple[str, str]]:
    import django

    django.setup()
    from dirmgr.tour import pages

    return pages()


def photograph(base: str, password: str, out: Path, dark: bool) -> int:
    """Sign in once per width and save every page of the tour; returns the number of PNGs."""
    from playwright.sync_api import sync_playwright

    pages, count = tour(), 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                color_scheme="dark" if dark else "light",
            )
            page = context.new_page()
            sign_in(page, base, password)
            (out / str(width)).mkdir(parents=True, exist_ok=True)
            for name, path in pages:
                page.goto(base + path)
                page.screenshot(path=str(out / str(width) / f"{name}.png"), full_page=True)
                count += 1
            context.close()
        browser.close()
    return count


def sign_in(page, base: str, password: str) -> None:
    from dirmgr import demo

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(demo.ADMIN_USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", nargs="?", default=str(BASE_DIR / "docs" / "screenshots"))
    parser.add_argument("--dark", action="store_true", help="the dark theme instead")
    args = parser.parse_args(argv)
    out = Path(args.dir).resolve()
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="dirmgr-screenshots-") as var_dir:
        os.environ.update(environment(Path(var_dir), password))
        manage("migrate", "--verbosity", "0")
        manage("load_demo")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"{HOST}:{port}"],
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://{HOST}:{port}"
            wait_until_answers(f"{base}/login/", server)
            count = photograph(base, password, out, args.dark)
        finally:
            server.terminate()
            server.wait(10)
    print(f"Saved {count} screenshots under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
