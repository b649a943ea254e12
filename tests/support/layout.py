"""The demo data as an administrator finds it after a day's work: the demo stores and directory,
plus an outbox row with a long subject, a failed one, a caught message, a scheduled temporary
membership and a template override, so every kind of page has something to show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.support.outbox import make_row

WIDTHS = [1366, 390]
PASSWORD = "demo-layout-password-1"
LONG_SUBJECT = (
    "A very long subject: Adele Vance was added to the group Sales and Marketing Leadership "
    "Team (EMEA, North America and Asia Pacific) by Megan Bowen on behalf of Alex Wilber"
)


@pytest.fixture
def demo_admin(transactional_db, settings):
    """load_demo's data and the extra rows above; returns the objects the tests look at."""
    from dirmgr import demo
    from identitystores.models import IdentityStore
    from notifications.models import NotificationSettings, OutgoingMessage

    settings.MAILBOX_ENABLED = True
    demo.load(PASSWORD, 2525)
    store = IdentityStore.objects.get(name=demo.STORES[0][0])
    mail = NotificationSettings.objects.get(store=store, portal__isnull=False)
    make_row(mail, LONG_SUBJECT)
    make_row(
        mail,
        "Lynne Robbins left Retail",
        status=OutgoingMessage.Status.DEAD,
        attempts=8,
        last_error="550 5.7.30 Basic authentication is not supported for Client Submission",
    )
    return {"store": store, "membership": _temporary_membership(store), **_extras(store)}


def _temporary_membership(store):
    from directory.models import DirectoryObject
    from lifecycle.models import TemporaryMembership

    group = DirectoryObject.objects.filter(
        store=store, kind="group", security_type__in=["public", "semi_private"]
    ).first()
    user = DirectoryObject.objects.filter(store=store, kind="user").first()
    today = timezone.localdate()
    return TemporaryMembership.objects.create(
        store=store,
        group=group,
        user=user,
        start_date=today + timedelta(days=3),
        end_date=today + timedelta(days=10),
    )


def _extras(store) -> dict:
    from catcher.models import CaughtMessage
    from notifications.models import EmailTemplate

    template = EmailTemplate.objects.create(
        store=store, subject="Directory change: {{ object }}", body_text="{{ summary }}"
    )
    caught = CaughtMessage.objects.create(
        envelope_from="directory-manager@contoso.test",
        envelope_to="it-team@contoso.test",
        raw=b"Subject: Test\r\nFrom: directory-manager@contoso.test\r\n\r\nHello\r\n",
        subject="Test",
        from_header="directory-manager@contoso.test",
        to_header="it-team@contoso.test",
    )
    return {"template": template, "caught": caught}


def sign_in(page: Page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Identity Stores")).to_be_visible()
