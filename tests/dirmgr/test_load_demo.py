"""load_demo: an admin, three stores and a portal, SMTP pointed at the catcher, a small directory
in each store; safe to re-run, and silent (no mail)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    GroupMembership,
)
from identitystores.models import AuditEntry, IdentityStore, Portal
from lifecycle.models import PasswordExpiryGroup
from notifications.models import NotificationSettings, OutgoingMessage


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
    assert IdentityStore.objects.count() == 3
    assert Portal.objects.count() == 1
    assert NotificationSettings.objects.get(store__name="Fabrikam Entra ID").port == 587
    assert (tmp_path / "demo-admin-password").stat().st_mode & 0o077 == 0


def test_it_takes_the_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DIRMGR_DEMO_PASSWORD", "chosen-demo-password")
    call_command("load_demo", catcher_port=2700)
    assert get_user_model().objects.get(username="admin").check_password("chosen-demo-password")
    assert NotificationSettings.objects.filter(port=2700).count() == 3


def counts() -> dict[str, int]:
    models = [
        IdentityStore, DirectoryObject, GroupMembership, AdditionalOwner, AdditionalManager,
        PasswordExpiryGroup, DirectoryEvent, AuditEntry, OutgoingMessage,
    ]  # fmt: skip
    return {model.__name__: model.objects.count() for model in models}


def test_it_fills_each_store_with_every_kind_of_relation_and_sends_nothing(db):
    call_command("load_demo")
    northwind = IdentityStore.objects.get(name="Northwind Directory")
    assert northwind.type == IdentityStore.Type.BUILT_IN
    objects = DirectoryObject.objects.filter(store=northwind)
    alex, sales, all_staff = (
        objects.get(name=name) for name in ("Alex Wilber", "Sales", "All Staff")
    )
    assert alex.primary_manager.name == "Adele Vance"
    assert AdditionalManager.objects.get(user=alex).manager.name == "Megan Bowen"
    assert sales.security_type == "public" and all_staff.security_type == "private"
    assert sales.primary_owner.name == "Adele Vance"
    assert AdditionalOwner.objects.get(group=sales).owner.name == "Megan Bowen"
    assert AdditionalOwner.objects.get(group=all_staff).owner == sales  # a group as owner
    assert GroupMembership.objects.filter(group=all_staff, member=sales, member_is_group=True)
    assert objects.filter(kind="contact", email="patti@partners.test").exists()
    assert objects.get(name="Diego Siciliani").mail_enabled is False
    password = PasswordExpiryGroup.objects.get(store=northwind)
    assert password.group.name == "Password Expiring Soon"
    assert objects.get(name="Lynne Robbins").password_expires is not None
    # Entra ID stores cannot have a password-expiry group (spec); the rest is there.
    assert not PasswordExpiryGroup.objects.filter(store__type="entra").exists()
    assert DirectoryObject.objects.filter(store__type="entra").count() == objects.count() - 1
    # Made through the change services (history says so), without a single mail.
    assert DirectoryEvent.objects.filter(store=northwind, route="management-shell").count() > 20
    assert OutgoingMessage.objects.count() == 0


def test_loading_twice_changes_nothing(db):
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert first["OutgoingMessage"] == 0
