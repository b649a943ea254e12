"""The Mailbox in headless Chromium: a message's HTML part is displayed, its scripts never run."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
PASSWORD = "mailbox-browser-password-1"
HOSTILE_HTML = (
    "<h1 id='greeting'>Sales group changed</h1>"
    "<script>document.getElementById('greeting').textContent = 'script ran';"
    "try { parent.document.title = 'script ran'; } catch (e) {}</script>"
    "<img src=x onerror=\"document.body.append('handler ran')\">"
)


def send(port: int) -> None:
    msg = EmailMessage()
    msg["Subject"] = "Membership of Sales changed"
    msg["From"] = "directory-manager@contoso.test"
    msg["To"] = "it-team@contoso.test"
    msg.set_content("Sales group changed.")
    msg.add_alternative(HOSTILE_HTML, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


def test_it_shows_the_html_part_without_running_its_scripts(
    page: Page, live_server, mail_catcher, screenshot
):
    get_user_model().objects.create_superuser("root", "root@dirmgr.test", PASSWORD)
    send(mail_catcher.port)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Mailbox").click()
    page.get_by_role("link", name="Membership of Sales changed").click()
    frame = page.frame_locator("iframe[title='HTML part of the message']")
    expect(frame.get_by_role("heading", name="Sales group changed")).to_be_visible()
    expect(page.locator("pre.mail-text")).to_have_text("Sales group changed.\n")
    screenshot("mailbox-message")
    assert "script ran" not in page.title()
    expect(frame.locator("body")).not_to_contain_text("handler ran")
