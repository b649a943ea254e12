"""What every directory connector (LDAP, Entra ID) shares once it has read its directory: the
actor its changes are made as, and how an object deleted there leaves our copy.

The "directory-sync" route is never written back (`hooks.write_back`), and notifies per the
store's rules like any other route.
"""

from __future__ import annotations

from django.db import transaction

from identitystores import audit

from . import changes
from .changes import Actor
from .models import DirectoryObject, GroupMembership, Route

SYNC_ACTOR = Actor(route=Route.DIRECTORY_SYNC)


@transaction.atomic
def delete_object(obj: DirectoryObject) -> None:
    """An object deleted in the directory: it leaves its groups through the change services
    (member-removed notifications, as for any membership change), then the row goes with its
    links; the history records the deletion."""
    groups = DirectoryObject.objects.filter(
        pk__in=GroupMembership.objects.filter(member=obj).values("group_id")
    )
    for group in groups:
        group.store = obj.store
        changes.remove_member(group, obj, SYNC_ACTOR)
    audit.record(obj.store, SYNC_ACTOR.name, "directory.deleted", [(obj.name[:120], obj.name, "")])
    obj.delete()
