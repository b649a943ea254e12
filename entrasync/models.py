"""Per-store Microsoft Entra ID connection (an app registration's client credentials) and the
sync status, including the delta links the next incremental pass starts from."""

from __future__ import annotations

from django.conf import settings
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
    # When the client secret stops working: typed, or read from the app registration.
    secret_expires = models.DateField("Secret expiry date", null=True, blank=True)

    signin_enabled = models.BooleanField("Admin sign-in with Microsoft accounts", default=False)
    signin_group = models.CharField(
        "Administrators group (object ID)",
        max_length=64,
        blank=True,
        help_text="Members of this Entra ID group become the store's administrators when they "
        "sign in; others are refused. Blank: anyone in the tenant may sign in, without a role.",
    )

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
    last_kind = models.CharField(max_length=40, blank=True)  # e.g. "full (delta link expired)"
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


class EntraAccount(models.Model):
    """The Admin Center user an Entra ID account signs in as, linked by its object ID (`oid`) so
    a renamed account keeps the same user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entra_accounts"
    )
    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="entra_accounts"
    )
    object_id = models.CharField(max_length=64)
    last_signin = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "object_id"], name="one_user_per_entra_oid")
        ]

    def __str__(self) -> str:
        return f"{self.object_id} → {self.user_id}"


class SecretWarning(models.Model):
    """One expiry warning mailed: a secret, the date it expires and the threshold (30, 7 or 1
    days) — the unique row is what keeps each threshold to a single mail."""

    class Secret(models.TextChoices):
        DIRECTORY = "directory", "Directory connection"
        SMTP_OAUTH = "smtp_oauth", "SMTP OAuth"

    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="+"
    )
    secret = models.CharField(max_length=16, choices=Secret.choices)
    expires = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "secret", "expires", "threshold"], name="one_warning_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.secret} secret of {self.store_id}: {self.threshold} days before {self.expires}"
        )
