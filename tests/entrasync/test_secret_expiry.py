"""Client secret expiry: the date from the app registration (or the typed one), the banners on
the store's Notifications and Directory connection pages, and the warnings mailed to the store's
To/CC 30, 7 and 1 days before — each once — delivered to a real aiosmtpd server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dirmgr.secret_expiry import due_threshold, warn_secret_expiry, warn_store
from entrasync.models import EntraConnection, SecretWarning
from notifications import tasks
from notifications.models import NotificationSettings, OutgoingMessage
from tests.support.entra import connect

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)


@pytest.fixture
def store(fabrikam, signin_server):
    connect(fabrikam, signin_server)
    return fabrikam


@pytest.fixture
def mail(store, smtp_server):
    server = smtp_server()
    settings = NotificationSettings.objects.create(
        store=store,
        smtp_host="127.0.0.1",
        port=server.port,
        from_email="directory@fabrikam.test",
        to_recipients="helpdesk@fabrikam.test",
        cc_recipients="it@fabrikam.test",
    )
    settings.server = server
    return settings


def typed_expiry(store, days_from_today: int) -> None:
    EntraConnection.objects.filter(store=store).update(
        secret_expires=TODAY + timedelta(days=days_from_today)
    )


def deliver_all(mail) -> list:
    ids = list(OutgoingMessage.objects.values_list("pk", flat=True))
    tasks.deliver(ids)
    return mail.server.wait_for(len(ids)) if ids else []


@pytest.mark.parametrize(
    ("days", "threshold"),
    [(31, None), (30, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1), (-1, None)],
)
def test_the_tightest_threshold_reached_is_due(days, threshold):
    assert due_threshold(days) == threshold


def test_it_mails_to_and_cc_once_per_threshold(store, mail, memory_broker):
    typed_expiry(store, 7)
    assert warn_store(store, TODAY) == 1
    assert warn_store(store, TODAY) == 0  # rerun the same day
    [received] = deliver_all(mail)
    assert sorted(received.rcpt_tos) == ["helpdesk@fabrikam.test", "it@fabrikam.test"]
    assert received.message["Subject"].endswith("a client secret expires in 7 days")
    body = received.message.get_body(("plain",)).get_content()
    assert "expires on 2026-12-09 (in 7 days)" in body
    assert "Directory connection page" in body
    assert str(EntraConnection.objects.get(store=store).client_secret) not in body

    assert warn_store(store, TODAY + timedelta(days=6)) == 1  # 1 day left: the last warning
    assert warn_store(store, TODAY + timedelta(days=6)) == 0
    assert list(
        SecretWarning.objects.order_by("threshold").values_list("threshold", flat=True)
    ) == [1, 7]


def test_the_app_registration_date_replaces_the_typed_one(store, mail, signin_server):
    typed_expiry(store, 200)
    signin_server.roles = (*signin_server.roles, "Application.Read.All")
    secret = signin_server.client_secret
    signin_server.password_credentials = [
        {"keyId": "a", "hint": "zzz", "endDateTime": "2026-12-04T10:00:00Z"},
        {"keyId": "b", "hint": secret[:3], "endDateTime": "2026-12-31T10:00:00Z"},
    ]
    assert warn_store(store, TODAY) == 1
    assert EntraConnection.objects.get(store=store).secret_expires == date(2026, 12, 31)
    assert SecretWarning.objects.get().threshold == 30


def test_without_application_read_all_the_typed_date_stays(store, mail, signin_server):
    typed_expiry(store, 1)
    assert warn_store(store, TODAY) == 1
    assert EntraConnection.objects.get(store=store).secret_expires == TODAY + timedelta(days=1)
    assert any("applications(appId=" in path for _, path in signin_server.requests)


def test_the_smtp_oauth_secret_is_warned_too(store, mail, memory_broker):
    mail.use_smtp_auth = True
    mail.auth_type = NotificationSettings.AuthType.OAUTH2
    mail.client_secret = "smtp-oauth-secret"
    mail.client_secret_expires = TODAY + timedelta(days=30)
    mail.save()
    assert warn_store(store, TODAY) == 1
    assert SecretWarning.objects.get().secret == SecretWarning.Secret.SMTP_OAUTH


def test_the_daily_task_covers_every_store(store, mail, settings):
    settings.TIME_ZONE = "UTC"
    EntraConnection.objects.filter(store=store).update(secret_expires=date.today())
    assert warn_secret_expiry() == 1
    assert warn_secret_expiry() == 0


def test_banners_on_the_store_pages(client, bob, store, mail):
    from django.utils import timezone

    EntraConnection.objects.filter(store=store).update(
        secret_expires=timezone.localdate() + timedelta(days=3)
    )
    client.force_login(bob)
    for url in (
        f"/identity-stores/{store.pk}/entra-connection/",
        f"/identity-stores/{store.pk}/configurations/notifications/",
    ):
        page = client.get(url).content.decode()
        assert "The client secret of the Entra ID directory connection expires on" in page
        assert "(in 3 days)" in page


def test_no_banner_far_from_expiry(client, bob, store, mail):
    from django.utils import timezone

    EntraConnection.objects.filter(store=store).update(
        secret_expires=timezone.localdate() + timedelta(days=90)
    )
    client.force_login(bob)
    page = client.get(f"/identity-stores/{store.pk}/entra-connection/").content.decode()
    assert "secret-expiry" not in page


def test_the_smtp_oauth_secret_date_is_read_from_its_app_registration(store, mail, signin_server):
    """The SMTP OAuth client is an app registration of the tenant too: with an Entra ID token
    endpoint and Application.Read.All, its own secret's end date is read and used."""
    signin_server.roles = (*signin_server.roles, "Application.Read.All")
    signin_server.password_credentials = [
        {
            "keyId": "c",
            "hint": signin_server.client_secret[:3],
            "endDateTime": "2026-12-03T00:00:00Z",
        }
    ]
    mail.use_smtp_auth = True
    mail.auth_type = NotificationSettings.AuthType.OAUTH2
    mail.token_endpoint = f"{signin_server.base_url}/{signin_server.tenant}/oauth2/v2.0/token"
    mail.client_id = signin_server.client_id
    mail.client_secret = signin_server.client_secret
    mail.save()
    EntraConnection.objects.filter(store=store).delete()
    assert warn_store(store, TODAY) == 1
    mail.refresh_from_db()
    assert mail.client_secret_expires == date(2026, 12, 3)
    warning = SecretWarning.objects.get()
    assert (warning.secret, warning.threshold) == (SecretWarning.Secret.SMTP_OAUTH, 1)
