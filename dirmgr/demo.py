"""Demo data for a first run: an admin, three identity stores (one of them the built-in
directory, where objects can be created in the Admin Center), a portal, SMTP settings that point
at the local mail catcher so Test Server and every notification land in the Mailbox, and a small
directory in each store (`demo_directory`).

Loading twice changes nothing but the admin's password (so the one printed at start works);
settings an admin has edited since are kept.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from identitystores.models import IdentityStore, Portal
from notifications.models import NotificationSettings

from . import demo_directory

ADMIN_USERNAME = "admin"
CATCHER_HOST = "127.0.0.1"
STORES = [
    ("Contoso Active Directory", IdentityStore.Type.ACTIVE_DIRECTORY, "contoso.test"),
    ("Fabrikam Entra ID", IdentityStore.Type.ENTRA_ID, "fabrikam.test"),
    ("Northwind Directory", IdentityStore.Type.BUILT_IN, "northwind.test"),
]
PORTAL = ("Contoso Self-Service", "https://portal.contoso.test/")


def demo_password() -> str:
    """DIRMGR_DEMO_PASSWORD, else one generated on the first run and kept under the var folder."""
    if password := os.environ.get("DIRMGR_DEMO_PASSWORD"):
        return password
    path = Path(settings.VAR_DIR) / "demo-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


@transaction.atomic
def load(password: str, catcher_port: int) -> None:
    admin, _ = get_user_model().objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"email": "admin@contoso.test"}
    )
    admin.is_superuser = admin.is_staff = admin.is_active = True
    admin.set_password(password)
    admin.save()
    stores = [_store(name, kind, domain, catcher_port) for name, kind, domain in STORES]
    portal, _ = Portal.objects.get_or_create(name=PORTAL[0], defaults={"url": PORTAL[1]})
    portal.stores.add(stores[0])
    NotificationSettings.objects.filter(store=stores[0], portal=None).update(portal=portal)
    for store, (_, _, domain) in zip(stores, STORES, strict=True):
        demo_directory.fill(store, domain)


def _store(name: str, kind: str, domain: str, catcher_port: int) -> IdentityStore:
    store, _ = IdentityStore.objects.get_or_create(name=name, defaults={"type": kind})
    NotificationSettings.objects.get_or_create(
        store=store,
        defaults={
            "smtp_host": CATCHER_HOST,
            "port": catcher_port,
            "from_email": f"directory-manager@{domain}",
            "to_recipients": f"it-team@{domain}",
        },
    )
    return store
