"""Directory events: one row per change to a directory object, written in the change's transaction.

An event is what notifications are made from: who acted and through which route, which object,
what changed (old → new), and for membership changes the member added or removed. Names are kept
as text next to the foreign keys so an event still reads right after its object is renamed or gone.
Notifications read events; the table keeps the name it had in the notifications app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Route(models.TextChoices):
    """How a change reached the directory (the spec's Admin Center, portal, Management Shell)."""

    ADMIN_CENTER = "admin-center", "Admin Center"
    PORTAL = "portal", "Directory Manager portal"
    MANAGEMENT_SHELL = "management-shell", "Management Shell"
    DIRECTORY_SYNC = "directory-sync", "Directory sync"
    LIFECYCLE = "lifecycle", "Life-cycle schedule"


class EventKind(models.TextChoices):
    CREATED = "created", "Object created"
    UPDATED = "updated", "Attributes changed"
    MEMBER_ADDED = "member_added", "Member added"
    MEMBER_REMOVED = "member_removed", "Member removed"
    OWNER_SET = "owner_set", "Primary owner changed"
    OWNER_ADDED = "owner_added", "Additional owner added"
    OWNER_REMOVED = "owner_removed", "Additional owner removed"
    MANAGER_SET = "manager_set", "Primary manager changed"
    MANAGER_ADDED = "manager_added", "Additional manager added"
    MANAGER_REMOVED = "manager_removed", "Additional manager removed"
    DELETED = "deleted", "Object deleted"


MEMBERSHIP_KINDS = frozenset({EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED})


class DirectoryEvent(models.Model):
    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="directory_events"
    )
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    route = models.CharField(max_length=32, choices=Route.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    object = models.ForeignKey(
        "directory.DirectoryObject",
        null=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    object_name = models.CharField(max_length=256)
    # {"field": [old, new], ...}; values are display text.
    changes = models.JSONField(default=dict, blank=True)
    member = models.ForeignKey(
        "directory.DirectoryObject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member_name = models.CharField(max_length=256, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "notifications_directoryevent"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["store", "created"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.object_name} by {self.actor_name or 'system'}"

    @property
    def is_membership_change(self) -> bool:
        return self.kind in MEMBERSHIP_KINDS
