"""The sign-in password never reaches an error report: the mail Django's AdminEmailHandler sends
for a server error (text, and the HTML debug report with every frame's variables) and the page.

The error is a real one: encryption keys that are not Fernet keys fail while the sign-in view
encrypts the credentials, with the password in the view's and the cipher's variables. (With
DEBUG on, Django shows everything by design; production runs with DEBUG off.)"""

import logging

import pytest
from django.core import mail
from django.utils.log import AdminEmailHandler

from tests.conftest import PASSWORD

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
