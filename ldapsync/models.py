"""Per-store LDAP connection settings, sync status, the DN of each synced object, and the link
between a directory account and the Admin Center user it signs in as."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField


class Flavor(models.TextChoices):
    ACTIVE_DIRECTORY = "ad", "Active Directory"
    OPENLDAP = "openldap", "OpenLDAP / inetOrgPerson"


class DirectoryConnection(models.Model):
    """How to reach and read one store's directory. Attribute names are the directory's own;
    the defaults per flavour are in `mapping.PRESETS`."""

    store = models.OneToOneField(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="ldap_connection"
    )
    flavor = models.CharField(max_length=16, choices=Flavor.choices)
    # One or more URLs, tried in order: ldap:// (always upgraded with StartTLS) or ldaps://.
    urls = models.CharField("LDAP URLs", max_length=1000)
    ca_certificate = models.TextField("CA certificate (PEM)", blank=True)
    bind_dn = models.CharField("Bind DN or UPN", max_length=500)
    bind_password = EncryptedTextField()
    base_dn = models.CharField("Base DN", max_length=500)
    timeout = models.PositiveIntegerField("Timeout (seconds)", default=10)
    page_size = models.PositiveIntegerField(default=1000)

    user_filter = models.CharField(max_length=500)
    group_filter = models.CharField(max_length=500)
    contact_filter = models.CharField(max_length=500, blank=True)
    login_filter = models.CharField(
        max_length=500, help_text="Finds the account signing in; {login} is what was typed."
    )

    id_attribute = models.CharField("Identifier attribute", max_length=64)
    change_attribute = models.CharField("Change attribute", max_length=64)
    name_attribute = models.CharField(max_length=64)
    mail_attribute = models.CharField(max_length=64)
    manager_attribute = models.CharField(max_length=64, blank=True)
    additional_manager_attribute = models.CharField(max_length=64, blank=True)
    owner_attribute = models.CharField(max_length=64, blank=True)
    additional_owner_attribute = models.CharField(max_length=64, blank=True)
    member_attributes = models.CharField(max_length=200)
    password_last_set_attribute = models.CharField(max_length=64, blank=True)
    account_control_attribute = models.CharField(max_length=64, blank=True)

    sync_enabled = models.BooleanField("Periodic sync", default=True)
    write_back = models.BooleanField("Write Admin Center changes to the directory", default=True)
    signin_enabled = models.BooleanField("Admins may sign in with this directory", default=False)

    def __str__(self) -> str:
        return f"{self.store} → {self.urls}"

    @property
    def url_list(self) -> list[str]:
        return self.urls.split()

    @property
    def member_attribute_list(self) -> list[str]:
        return self.member_attributes.split()


class SyncStatus(models.Model):
    """What the store page's status line shows, and where the next incremental sync starts."""

    store = models.OneToOneField(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="ldap_sync_status"
    )
    # Highest change value seen (modifyTimestamp / entryCSN / uSNChanged) after a complete pass.
    watermark = models.CharField(max_length=64, blank=True)
    # The Active Directory domain controller the watermark came from (its rootDSE dsServiceName):
    # USNs are per DC, so on another DC the watermark means nothing.
    watermark_server = models.CharField(max_length=1000, blank=True)
    last_full = models.DateTimeField(null=True, blank=True)
    last_incremental = models.DateTimeField(null=True, blank=True)
    last_reconcile = models.DateTimeField(null=True, blank=True)
    last_kind = models.CharField(max_length=16, blank=True)
    last_counts = models.JSONField(default=dict, blank=True)
    last_duration = models.FloatField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sync of {self.store_id}"

    @property
    def last_run(self):
        return max((d for d in (self.last_full, self.last_incremental) if d), default=None)


class EntryLink(models.Model):
    """The current DN of a synced object, so member/manager/owner DNs resolve to objects. The
    object's identity is its `external_id` (entryUUID / objectGUID); the DN only locates it."""

    object = models.OneToOneField(
        "directory.DirectoryObject",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="ldap_entry",
    )
    store = models.ForeignKey("identitystores.IdentityStore", on_delete=models.CASCADE)
    dn = models.CharField(max_length=1000)
    dn_key = models.CharField(max_length=1000)
    # The DN before the last rename: the directory's refint overlay rewrites references to it in
    # the background, so for a while groups may still list the old DN.
    previous_dn_key = models.CharField(max_length=1000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["store", "dn_key"])]

    def __str__(self) -> str:
        return self.dn


class DirectoryAccount(models.Model):
    """An Admin Center user who signs in by binding to a store's directory (no password here)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_account"
    )
    store = models.ForeignKey("identitystores.IdentityStore", on_delete=models.CASCADE)
    external_id = models.CharField(max_length=255)
    dn = models.CharField(max_length=1000)
    last_bind = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "external_id"], name="one_account_per_directory_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.dn})"
