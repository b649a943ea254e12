"""A store's password-expiry Smart Group and the members the job put in it.

Apart from the dated windows (`windows`) because it is configuration plus the job's own
bookkeeping, not a change scheduled between two dates.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from directory.models import DirectoryObject

Kind = DirectoryObject.Kind
ENTRA_RULE = (
    "Password expiry Smart Groups cannot be created in a Microsoft Entra ID identity store."
)


class PasswordExpiryGroup(models.Model):
    """The store's password-expiry Smart Group: its members are the users whose password expires
    within `days` days. Not available in Microsoft Entra ID stores (spec), enforced on save."""

    store = models.OneToOneField(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="password_group"
    )
    group = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField(
        "Password expires within (days)",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    send_warnings = models.BooleanField(
        "Send a password expiry warning to members each time the membership is updated",
        default=True,
    )

    def __str__(self) -> str:
        return f"Password expiry group of {self.store}"

    def save(self, *args, **kwargs) -> None:
        if not self.store.supports_password_expiry:
            raise ValidationError(ENTRA_RULE)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.store_id and not self.store.supports_password_expiry:
            raise ValidationError(ENTRA_RULE)
        if self.group_id and (
            self.group.kind != Kind.GROUP or self.group.store_id != self.store_id
        ):
            raise ValidationError({"group": "Choose a group of this identity store."})


class PasswordExpiryMember(models.Model):
    """A member the password-expiry job put in the group, the store day of its last warning (at
    most one warning per member and day, however often the job runs) and the store day that
    warning was listed in the digest to the store's To:/CC: (each warning is listed once)."""

    config = models.ForeignKey(PasswordExpiryGroup, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    warned_on = models.DateField(null=True, blank=True)
    digested_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["config", "user"], name="lc_one_pwd_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user.name} in the password expiry group of {self.config.store}"
