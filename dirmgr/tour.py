"""Every page of the Admin Center an administrator can open, as (name, path) pairs, for the
pages the database holds now: the global pages, then each identity store's pages, one directory
object of each kind, a template override, a caught message.

The accessibility scan and the screenshot set both walk this list, so a page added to the app
and to this list is checked and photographed without further work; a page left out is checked
by neither, which is why the list is built from the URL names rather than typed per test.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.urls import reverse

from directory.models import DirectoryObject
from identitystores.models import IdentityStore, Portal
from notifications.models import EmailTemplate

GLOBAL_PAGES = [
    ("identity-stores", "identitystores:list"),
    ("identity-store-new", "identitystores:create"),
    ("portals", "identitystores:portal_list"),
    ("portal-new", "identitystores:portal_create"),
    ("mailbox", "catcher:mailbox"),
]
HELP_PAGES = ["test-server-errors", "exchange-online-oauth"]
STORE_PAGES = [
    ("general", "identitystores:edit"),
    ("configurations", "identitystores:configurations"),
    ("notifications", "notifications:settings"),
    ("directory", "directory:list"),
    ("email-templates", "notifications:email_templates"),
    ("email-template-new", "notifications:email_template_create"),
    ("schedules", "lifecycle:schedules"),
    ("temporary-memberships", "lifecycle:temporary_memberships"),
    ("temporary-owners-managers", "lifecycle:temporary_managed_by"),
    ("outbox", "notifications:outbox"),
    ("history", "identitystores:history"),
]
DIRECTORY_STORE_TYPES = (IdentityStore.Type.ACTIVE_DIRECTORY, IdentityStore.Type.LDAP)


def pages() -> list[tuple[str, str]]:
    """(name, path) of every page, names unique and usable as file names."""
    found = [(name, reverse(url)) for name, url in GLOBAL_PAGES]
    found += [(f"help-{name}", reverse("help", args=[name])) for name in HELP_PAGES]
    if portal := Portal.objects.order_by("pk").first():
        found.append(("portal-edit", reverse("identitystores:portal_edit", args=[portal.pk])))
    # The catcher stands beside dirmgr, not below it: its model is looked up, not imported.
    caught = apps.get_model("catcher", "CaughtMessage")
    if message := caught.objects.order_by("-pk").first():
        found.append(("mailbox-message", reverse("catcher:message", args=[message.pk])))
    for number, store in enumerate(IdentityStore.objects.order_by("pk"), start=1):
        found.extend((f"store{number}-{name}", path) for name, path in _store_pages(store))
    return found


def _store_pages(store: IdentityStore) -> Iterator[tuple[str, str]]:
    for name, url in STORE_PAGES:
        yield name, reverse(url, args=[store.pk])
    if store.type in DIRECTORY_STORE_TYPES:
        yield "directory-connection", reverse("ldapsync:connection", args=[store.pk])
    if store.type == IdentityStore.Type.BUILT_IN:
        yield "directory-new-user", reverse("directory:create", args=[store.pk, "user"])
    for kind in DirectoryObject.Kind.values:
        obj = DirectoryObject.objects.filter(store=store, kind=kind).order_by("pk").first()
        if obj is not None:
            yield f"directory-{kind}", reverse("directory:object", args=[store.pk, obj.pk])
    template = EmailTemplate.objects.filter(store=store).order_by("pk").first()
    if template is not None:
        args = [store.pk, template.pk]
        yield "email-template", reverse("notifications:email_template_edit", args=args)
