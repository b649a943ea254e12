"""One CA setting for every outgoing TLS client: DIRMGR_CA_BUNDLE is trusted by LDAPS as by
SMTP, token endpoints and Graph (those use it through the `ca_bundle` fixture), and the old name
SMTP_CA_BUNDLE still works while `check` asks to rename it."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.support.ldap_forms import form_data, url
from tests.support.ldap_server import SYNC_PASSWORD

pytest_plugins = ["tests.support.ldap_server"]

ROOT = Path(__file__).resolve().parents[2]
READ_BUNDLE = "from django.conf import settings; print(settings.DIRMGR_CA_BUNDLE)"


@pytest.fixture
def admin_client(client, ldap_admin):
    cache.clear()  # Test connection presses are rate-limited per admin
    client.force_login(ldap_admin)
    return client


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py as an operator runs it, with only these variables (no .env of the checkout)."""
    environment = {"DIRMGR_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ldaps_trusts_the_bundle_without_a_store_ca(admin_client, ldap_store, slapd, settings):
    data = form_data(
        slapd,
        action="test",
        urls=f"{slapd.ldap_url} {slapd.ldaps_url}",
        ca_certificate="",
        bind_password=SYNC_PASSWORD,
    )
    settings.DIRMGR_CA_BUNDLE = ""
    untrusted = admin_client.post(url(ldap_store), data).content.decode()

    settings.DIRMGR_CA_BUNDLE = str(slapd.ca_path)
    trusted = admin_client.post(url(ldap_store), data).content.decode()

    assert "the server&#x27;s certificate was not accepted" in untrusted
    assert "Connection works" in trusted
    assert f"{slapd.ldap_url}: TLS verified" in trusted
    assert f"{slapd.ldaps_url}: TLS verified" in trusted


def test_the_old_name_is_still_read_and_check_asks_to_rename_it(tmp_path):
    bundle = str(tmp_path / "ca.pem")

    read = manage(tmp_path, "shell", "-c", READ_BUNDLE, SMTP_CA_BUNDLE=bundle)
    check = manage(tmp_path, "check", SMTP_CA_BUNDLE=bundle)

    assert read.stdout.strip().splitlines()[-1] == bundle, read.stderr
    assert "(core.W001) SMTP_CA_BUNDLE is the old name of DIRMGR_CA_BUNDLE" in check.stderr
    assert "Rename SMTP_CA_BUNDLE to DIRMGR_CA_BUNDLE" in check.stderr


def test_the_new_name_wins_and_check_is_quiet(tmp_path):
    bundle = str(tmp_path / "ca.pem")

    read = manage(tmp_path, "shell", "-c", READ_BUNDLE, DIRMGR_CA_BUNDLE=bundle)
    check = manage(tmp_path, "check", DIRMGR_CA_BUNDLE=bundle)

    assert read.stdout.strip().splitlines()[-1] == bundle, read.stderr
    assert check.returncode == 0, check.stderr
    assert "core.W001" not in check.stdout + check.stderr
