"""Attestation removal marks: a member a group attestation marked for removal on a date.

A row of its own rather than a window: it has one date (the end of the member's inactive
period) and no start, but it goes through the same states as the windows (`windows.State`) and
is reminded of and applied by the same schedule, in the same transaction as the change.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone

from directory.models import DirectoryObject

from .windows import State


class AttestationRemoval(models.Model):
    """Group attestation marked a member for removal on a date (the member inactive period)."""

    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    group = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    remove_on = models.DateField("Remove on")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    reminded_for = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["remove_on", "id"]
        indexes = [models.Index(fields=["store", "state", "remove_on"], name="lc_ar_due")]

    def __str__(self) -> str:
        return f"{self.member} leaves {self.group} on {self.remove_on}"

    @property
    def removal_date(self) -> date:
        return self.remove_on
