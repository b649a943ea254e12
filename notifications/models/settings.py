"""Per-store notification settings: the SMTP server, the recipients and the life-cycle options."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.fields import EncryptedTextField
from identitystores.models import IdentityStore, Portal

DAYS = [MinValueValidator(1), MaxValueValidator(365)]
EXCHANGE_ONLINE_TOKEN_ENDPOINT = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
EXCHANGE_ONLINE_SCOPE = "https://outlook.office365.com/SMTP.Send"


class NotificationSettings(models.Model):
    """Everything on a store's Notifications page. Secrets are encrypted at rest."""

    class AuthType(models.TextChoices):
        BASIC = "basic", "Basic"
        OAUTH2 = "oauth2", "OAuth 2.0"

    store = models.OneToOneField(
        IdentityStore, on_delete=models.CASCADE, related_name="notification_settings"
    )

    # SMTP Server
    smtp_host = models.CharField("SMTP Server", max_length=253, blank=True)
    from_email = models.CharField("From email address", max_length=254, blank=True)
    port = models.PositiveIntegerField(
        "Port", default=25, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    ssl_enabled = models.BooleanField("SSL enabled", default=False)
    use_smtp_auth = models.BooleanField("Use SMTP user authentication", default=False)
    auth_type = models.CharField(max_length=8, choices=AuthType.choices, default=AuthType.BASIC)
    smtp_username = models.CharField("SMTP username", max_length=254, blank=True)
    smtp_password = EncryptedTextField("SMTP password")
    token_endpoint = models.CharField("Token Endpoint", max_length=500, blank=True)
    client_id = models.CharField("Client ID", max_length=200, blank=True)
    client_secret = EncryptedTextField("Client Secret")
    client_secret_expires = models.DateField("Secret expiry date", null=True, blank=True)
    scope = models.CharField("Scope", max_length=500, blank=True)
    oauth_username = models.CharField("Username", max_length=254, blank=True)
    oauth_password = EncryptedTextField("Password")

    # Second SMTP server (used when the first fails): the same From address, authentication
    # type and credentials as the first; only where it connects differs (docs/delivery.md).
    second_smtp_host = models.CharField("Second SMTP server", max_length=253, blank=True)
    second_port = models.PositiveIntegerField(
        "Second server port",
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    second_ssl_enabled = models.BooleanField("Second server SSL enabled", default=False)
    switch_after = models.PositiveSmallIntegerField(
        "Switch after",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="Minutes the first server must fail before mail goes to the second.",
    )

    # Advanced: sending limits (a send budget per store; blank = no limit). Enforced across
    # every worker by the store's send lane (notifications/delivery/lanes.py).
    max_connections = models.PositiveSmallIntegerField(
        "Concurrent connections", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_messages_per_minute = models.PositiveIntegerField(
        "Messages per minute", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_recipients_per_message = models.PositiveIntegerField(
        "Recipients per message", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_recipients_per_day = models.PositiveIntegerField(
        "Recipients per day", null=True, blank=True, validators=[MinValueValidator(1)]
    )

    # Recipients: addresses joined with "; " (normalised, de-duplicated by the form)
    to_recipients = models.TextField("To:", blank=True)
    cc_recipients = models.TextField("CC:", blank=True)
    notify_actor = models.BooleanField("Logged in users for their actions", default=False)
    notify_modified_object = models.BooleanField("Object being modified", default=False)
    notify_group_owners = models.BooleanField("Group owner(s) for their groups", default=False)
    notify_managers = models.BooleanField("Manager(s) for their direct reports", default=False)
    notify_added_member = models.BooleanField(
        "Newly added group members on addition", default=False
    )
    notify_removed_member = models.BooleanField("Removed group member on removal", default=False)
    notify_public_group_owners = models.BooleanField(
        "Public group owner for membership", default=False
    )

    # Password Expiry Group Notifications
    portal = models.ForeignKey(
        Portal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="GroupID Portal URL",
    )

    # Membership Lifecycle Notifications
    ml_on_join = models.BooleanField("On joining group", default=False)
    ml_on_leave = models.BooleanField("On leaving group", default=False)
    ml_days_before_enabled = models.BooleanField(
        "X days before user is going to leave the group", default=False
    )
    ml_days_before = models.PositiveSmallIntegerField(null=True, blank=True, validators=DAYS)

    # Managed By Notifications
    mb_same_as_membership = models.BooleanField("Same as membership life cycle", default=False)
    mb_on_added = models.BooleanField("Object is added as additional owner/manager", default=False)
    mb_on_removed = models.BooleanField(
        "Object is removed as additional owner/manager", default=False
    )
    mb_days_before_enabled = models.BooleanField(
        "X Days before object is removed as additional owner/manager", default=False
    )
    mb_days_before = models.PositiveSmallIntegerField(null=True, blank=True, validators=DAYS)

    # Who last changed the SMTP destination (host, port, SSL) on the Notifications page, and when:
    # named in the banner that asks other admins to confirm it (notifications/acting.py).
    destination_set_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    destination_set_at = models.DateTimeField(null=True, blank=True)

    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"Notifications of {self.store}"

    @property
    def to_list(self) -> list[str]:
        return split_addresses(self.to_recipients)

    @property
    def cc_list(self) -> list[str]:
        return split_addresses(self.cc_recipients)

    def managed_by_options(self) -> tuple[bool, bool, int | None]:
        """(on added, on removed, days before removal or None), honouring "Same as membership"."""
        if self.mb_same_as_membership:
            days = self.ml_days_before if self.ml_days_before_enabled else None
            return self.ml_on_join, self.ml_on_leave, days
        days = self.mb_days_before if self.mb_days_before_enabled else None
        return self.mb_on_added, self.mb_on_removed, days

    def membership_days_before(self) -> int | None:
        return self.ml_days_before if self.ml_days_before_enabled else None


def split_addresses(value: str) -> list[str]:
    return [a.strip() for a in value.split(";") if a.strip()]
