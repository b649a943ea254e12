"""Addresses each username signed in from: the "familiar" addresses that shared sign-in limits
never lock out (dirmgr/signin_throttle.py)."""

from __future__ import annotations

from django.db import models


class FamiliarAddress(models.Model):
    # The throttling key of the username (signin_throttle.username_key), not a user reference:
    # the failures it is compared with are counted by what was typed.
    username = models.CharField(max_length=255)
    ip_address = models.GenericIPAddressField()
    last_success = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address"], name="familiar_address_once")
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip_address}"
