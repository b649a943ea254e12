"""Browser fixtures: Debian's headless Chromium under Playwright, a live server, a mail catcher.

Never downloads a browser: /usr/bin/chromium is installed by scripts/test (apt).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from catcher.server import CatcherHandler
from tests.support.net import free_port

# The Playwright sync API runs an event loop in the test thread; the ORM calls of the tests and
# of the live server are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves the current page under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def mail_catcher(transactional_db, settings):
    """The product's own catcher on a free loopback port, storing into the test database, with
    the Mailbox page on (as scripts/run has it)."""
    settings.MAILBOX_ENABLED = True
    handler = CatcherHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), **handler.controller_options()
    )
    controller.start()
    yield controller
    controller.stop()


def store_admin(store, password: str, username: str = "alice"):
    """An Admin Center account that administers `store`, to sign in with."""
    from django.contrib.auth import get_user_model

    from identitystores.models import StoreRole

    user = get_user_model().objects.create_user(username, f"{username}@contoso.test", password)
    StoreRole.objects.create(user=user, store=store)
    return user


def sign_in(page, base_url: str, password: str, username: str = "alice") -> None:
    """Sign in on the login page and wait for the store list, so the next step starts signed in."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()
