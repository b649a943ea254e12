"""Passwords never reach an error report (sign-in, SMTP password, LDAP bind password): the mail
Django's AdminEmailHandler sends for a server error (text, and the HTML debug report with every
frame's variables) and the page.

The error is a real one: encryption keys that are not Fernet keys fail while the view encrypts
the password, with it in the view's, the ORM's and the cipher's variables. (With
DEBUG on, Django shows everything by design; production runs with DEBUG off.)"""

import logging

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from tests.conftest import PASSWORD
from tests.support.ldap_forms import form_data

pytest_plugins = ["tests.support.ldap_server"]
BAD_KEY = "not-a-fernet-key"


@pytest.fixture
def admin_mail(settings):
    """An error-mail handler with the HTML report (Django's default one sends text only)."""
    settings.ADMINS = [("Ops", "ops@dirmgr.test")]
    settings.ENCRYPTION_KEYS = [BAD_KEY]
    handler = AdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield mail.outbox
    logger.removeHandler(handler)


def test_error_reports_of_a_failed_sign_in_hide_the_password(client, alice, admin_mail):
    client.raise_request_exception = False

    response = client.post("/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 500
    assert PASSWORD not in response.content.decode()
    html = next(m.alternatives[0][0] for m in admin_mail if m.alternatives)
    assert "form_valid" in html and "Local Vars" in html  # the frames are reported
    for text in [html] + [m.body for m in admin_mail]:
        assert PASSWORD not in text
        assert BAD_KEY not in text


SMTP_PASSWORD = "Smtp-pass-9f3k2"


def reports(admin_mail) -> list[str]:
    html = [m.alternatives[0][0] for m in admin_mail if m.alternatives]
    assert html and "Local Vars" in html[0]  # the frames are reported
    return html + [m.body for m in admin_mail]


def test_error_reports_of_the_notifications_page_hide_the_smtp_password(
    client, alice, contoso, admin_mail
):
    client.force_login(alice)
    client.raise_request_exception = False
    data = {
        "smtp_host": "smtp.contoso.test",
        "from_email": "notify@contoso.test",
        "port": "587",
        "ssl_enabled": "on",
        "use_smtp_auth": "on",
        "auth_type": "basic",
        "smtp_username": "notify@contoso.test",
        "smtp_password": SMTP_PASSWORD,
    }

    response = client.post(f"/identity-stores/{contoso.pk}/configurations/notifications/", data)

    assert response.status_code == 500
    for text in reports(admin_mail):
        assert SMTP_PASSWORD not in text
        assert BAD_KEY not in text


def test_error_reports_of_the_directory_connection_page_hide_the_bind_password(
    client, ldap_store, ldap_admin, slapd, admin_mail
):
    client.force_login(ldap_admin)
    client.raise_request_exception = False
    data = form_data(slapd, bind_password=SMTP_PASSWORD)  # Save: encrypting it fails

    response = client.post(reverse("ldapsync:connection", args=[ldap_store.pk]), data)

    assert response.status_code == 500
    for text in reports(admin_mail):
        assert SMTP_PASSWORD not in text
