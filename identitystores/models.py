"""Identity stores (directories), the portals linked to them, admin roles, and the audit log."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Enter a time zone name such as Europe/Berlin or America/New_York.")


class IdentityStore(models.Model):
    class Type(models.TextChoices):
        ACTIVE_DIRECTORY = "ad", "Active Directory"
        ENTRA_ID = "entra", "Microsoft Entra ID"
        LDAP = "ldap", "LDAP"
        BUILT_IN = "builtin", "Built-in"

    name = models.CharField(max_length=120, unique=True)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.ACTIVE_DIRECTORY)
    enabled = models.BooleanField(default=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def supports_password_expiry(self) -> bool:
        """Password-expiry Smart Groups cannot be created in a Microsoft Entra ID store (spec)."""
        return self.type != self.Type.ENTRA_ID


class Portal(models.Model):
    """A Directory Manager portal; its URL goes into password-expiry warnings."""

    name = models.CharField(max_length=120, unique=True)
    url = models.URLField("URL", max_length=500)
    stores = models.ManyToManyField(IdentityStore, related_name="portals", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class StoreRole(models.Model):
    """Grants an admin access to one identity store. Superusers need none."""

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", "Administrator"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_roles"
    )
    store = models.ForeignKey(IdentityStore, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.ADMINISTRATOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "store"], name="one_role_per_store")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.store}"


class AuditEntry(models.Model):
    """One change in a store's history. Secrets are recorded only as "changed", never as values."""

    store = models.ForeignKey(IdentityStore, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    field = models.CharField(max_length=120, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    # One change (one `audit.record` call) writes one row per field; they share this key, so the
    # History page shows them together.
    change = models.UUIDField(default=uuid.uuid4)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "audit entries"
        # History groups a store's rows by change (and fetches a page's changes by key).
        indexes = [models.Index(fields=["store", "change", "created"], name="audit_store_change")]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.field}"
