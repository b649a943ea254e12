"""load_demo: an admin, two stores and a portal, SMTP pointed at the catcher; safe to re-run."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from identitystores.models import IdentityStore, Portal
from notifications.models import NotificationSettings


@pytest.fixture(autouse=True)
def demo_env(monkeypatch, settings, tmp_path):
    """The generated password file goes to a private folder, the catcher port is known."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("DIRMGR_CATCHER_PORT", "2600")
    monkeypatch.delenv("DIRMGR_DEMO_PASSWORD", raising=False)


def test_it_creates_the_demo_stores_pointing_at_the_catcher(db, capsys):
    call_command("load_demo")
    contoso = IdentityStore.objects.get(name="Contoso Active Directory")
    fabrikam = IdentityStore.objects.get(name="Fabrikam Entra ID")
    assert contoso.type == IdentityStore.Type.ACTIVE_DIRECTORY
    assert fabrikam.type == IdentityStore.Type.ENTRA_ID
    for store in (contoso, fabrikam):
        smtp = NotificationSettings.objects.get(store=store)
        assert (smtp.smtp_host, smtp.port, smtp.ssl_enabled) == ("127.0.0.1", 2600, False)
        assert smtp.from_email.startswith("directory-manager@")
    portal = Portal.objects.get()
    assert list(portal.stores.all()) == [contoso]
    assert NotificationSettings.objects.get(store=contoso).portal == portal
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)


def test_it_keeps_the_generated_password_and_the_admins_edits_on_rerun(db, capsys, tmp_path):
    call_command("load_demo")
    first = capsys.readouterr().out
    NotificationSettings.objects.filter(store__name="Fabrikam Entra ID").update(port=587)
    call_command("load_demo")
    assert capsys.readouterr().out == first
    assert IdentityStore.objects.count() == 2
    assert Portal.objects.count() == 1
    assert NotificationSettings.objects.get(store__name="Fabrikam Entra ID").port == 587
    assert (tmp_path / "demo-admin-password").stat().st_mode & 0o077 == 0


def test_it_takes_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DIRMGR_DEMO_PASSWORD", "chosen-demo-password")
    call_command("load_demo", catcher_port=2700)
    assert get_user_model().objects.get(username="admin").check_password("chosen-demo-password")
    assert NotificationSettings.objects.filter(port=2700).count() == 2
