"""Sessions are bounded: an idle timeout and a lifetime from sign-in, env-configurable; expired
sessions, with the encrypted sign-in password in them, are deleted by a beat job."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from dirmgr.sessions import clear_expired_sessions
from identitystores.credentials import SESSION_KEY
from tests.conftest import PASSWORD

PAGE = "/identity-stores/"


def sign_in(client):
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert SESSION_KEY in client.session


def test_an_idle_session_is_sent_back_to_sign_in(client, alice, settings):
    settings.SESSION_IDLE_SECONDS = 1
    sign_in(client)
    assert client.get(PAGE).status_code == 200

    time.sleep(1.5)
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_an_active_session_still_ends_at_its_lifetime(client, alice, settings):
    settings.SESSION_LIFETIME_SECONDS = 2
    sign_in(client)
    time.sleep(1.1)
    assert client.get(PAGE).status_code == 200  # activity renews the idle time only

    time.sleep(1.1)
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url.startswith("/login/")
    assert SESSION_KEY not in client.session


def test_the_stored_session_expires_with_the_idle_timeout(client, alice):
    sign_in(client)
    client.get(PAGE)

    expiry = Session.objects.get().expire_date
    idle = timedelta(seconds=django_settings.SESSION_IDLE_SECONDS)
    assert timezone.now() < expiry <= timezone.now() + idle
    assert idle <= timedelta(hours=1)


def test_the_beat_job_deletes_expired_sessions_and_their_passwords(client, alice, settings):
    settings.SESSION_IDLE_SECONDS = 1
    sign_in(client)
    client.get(PAGE)
    time.sleep(1.5)

    clear_expired_sessions()

    assert not Session.objects.exists()
    tasks = [entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert "dirmgr.sessions.clear_expired_sessions" in tasks


def test_the_limits_come_from_the_environment(tmp_path):
    env = os.environ | {
        "DIRMGR_VAR_DIR": str(tmp_path),
        "SESSION_LIFETIME_HOURS": "4",
        "SESSION_IDLE_MINUTES": "15",
        "DIRMGR_TRUSTED_PROXIES": "172.16.0.0/12",
        "DIRMGR_TRUSTED_PROXY_COUNT": "2",
    }
    code = (
        "from dirmgr import settings as s; print(s.SESSION_LIFETIME_SECONDS, "
        "s.SESSION_IDLE_SECONDS, s.SESSION_COOKIE_AGE, s.TRUSTED_PROXIES, s.TRUSTED_PROXY_COUNT)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert out.split("\n")[-2] == "14400 900 900 ['172.16.0.0/12'] 2"
