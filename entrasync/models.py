"""Per-store Microsoft Entra ID connection (an app registration's client credentials) and the
sync status, including the delta links the next incremental pass starts from."""

from __future__ import annotations

from django.db import models

from core.fields import EncryptedTextField

from .clouds import Cloud


class EntraConnection(models.Model):
    """How to reach one store's tenant through Microsoft Graph with client credentials. The
    same app registration is what admin sign-in (OIDC) and secret-expiry warnings will use."""

    store = models.OneToOneField(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="entra_connection"
    )
    tenant = models.CharField(
        "Tenant", max_length=255, help_text="Directory (tenant) ID or a verified domain."
    )
    client_id = models.CharField("Client ID", max_length=64)
    client_secret = EncryptedTextField()
    cloud = models.CharField(
        "National cloud", max_length=16, choices=Cloud.choices, default=Cloud.GLOBAL
    )
    authority_url = models.URLField(
        "Sign-in URL (override)",
        blank=True,
        help_text="Leave blank for the national cloud's own. For a proxy in front of Microsoft.",
    )
    graph_url = models.URLField(
        "Graph URL (override)",
        blank=True,
        help_text="Leave blank for the national cloud's own. For a proxy in front of Microsoft.",
    )
    timeout = models.PositiveIntegerField("Timeout (seconds)", default=30)

    sync_enabled = models.BooleanField("Periodic sync", default=True)
    write_back = models.BooleanField("Write Admin Center changes to Entra ID", default=True)
    # When the client secret stops working (from the app registration); warnings come later.
    secret_expires = models.DateField("Client secret expires", null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.store} → {self.tenant}"


class EntraSyncStatus(models.Model):
    """What the Directory connection page shows, and the delta links the next pass starts at."""

    store = models.OneToOneField(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="entra_sync_status"
    )
    users_delta_link = models.TextField(blank=True)
    groups_delta_link = models.TextField(blank=True)
    last_full = models.DateTimeField(null=True, blank=True)
    last_incremental = models.DateTimeField(null=True, blank=True)
    last_kind = models.CharField(max_length=16, blank=True)
    last_counts = models.JSONField(default=dict, blank=True)
    last_duration = models.FloatField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Entra ID sync of {self.store_id}"

    @property
    def last_run(self):
        return max((d for d in (self.last_full, self.last_incremental) if d), default=None)
