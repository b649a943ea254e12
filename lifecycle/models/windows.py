"""The dated windows the life-cycle schedules act on: temporary memberships and temporary
additional owners and managers (attestation removal marks, which share their states, are in
`attestation.py`).

Dates are calendar dates in the store's time zone ("today" is the store's today). Every row
carries its own progress (`state`, `reminded_for`), changed in the same transaction as the
directory change and the outbox rows it causes: that is what makes a rerun apply nothing twice.
The indexes start with (store, state, date) so each job reads only the rows due today.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from directory.models import DirectoryObject

Kind = DirectoryObject.Kind
SecurityType = DirectoryObject.SecurityType
TEMPORARY_SECURITY_TYPES = (SecurityType.SEMI_PRIVATE, SecurityType.PUBLIC)


class State(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "In effect"
    DONE = "done", "Ended"
    SKIPPED = "skipped", "Skipped: the schedule did not run in the period"
    CANCELLED = "cancelled", "Cancelled"


class Window(models.Model):
    """A change in effect from `start_date` to `end_date` (store dates), undone at the end.

    `start_applied` says whether the schedule changed the directory at the start; the end undoes
    only what the schedule did (a user who already was a member is not removed at the end).
    `reminded_for` is the removal date the "X days before" reminder was sent for.
    """

    # No index of its own: the (store, state, date) indexes below start with it.
    store = models.ForeignKey(
        "identitystores.IdentityStore", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    start_date = models.DateField("Start")
    end_date = models.DateField("End")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    start_applied = models.BooleanField(default=False)
    reminded_for = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors = self.errors()
        if errors:
            raise ValidationError(errors)

    def errors(self) -> dict[str, str]:
        """Field errors; subclasses add theirs."""
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            return {"end_date": "The end must be after the start."}
        return {}


class TemporaryMembership(Window):
    """A user joins a group for a period (added at the start, removed at the end) or leaves it for
    a period (removed at the start, added back at the end). `requested_by` is the user, a peer or
    a manager who asked on the user's behalf; notices always go to the user."""

    class Action(models.TextChoices):
        JOIN = "join", "Join for a period"
        LEAVE = "leave", "Leave for a period"

    action = models.CharField(max_length=8, choices=Action.choices, default=Action.JOIN)
    group = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        DirectoryObject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["store", "state", "start_date"], name="lc_tm_start"),
            models.Index(fields=["store", "state", "end_date"], name="lc_tm_end"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_action_display()} {self.group} {self.start_date}…"

    @property
    def removal_date(self) -> date:
        """The day the user leaves the group."""
        return self.end_date if self.action == self.Action.JOIN else self.start_date

    def errors(self) -> dict[str, str]:
        errors = super().errors()
        if self.group_id and (
            self.group.kind != Kind.GROUP
            or self.group.security_type not in TEMPORARY_SECURITY_TYPES
        ):
            errors["group"] = "Temporary membership applies to semi-private and public groups only."
        if self.user_id and self.user.kind != Kind.USER:
            errors["user"] = "Only users join or leave groups temporarily."
        for name in ("group", "user", "requested_by"):
            obj = getattr(self, name) if getattr(self, f"{name}_id") else None
            if obj is not None and obj.store_id != self.store_id:
                errors[name] = "This object belongs to another identity store."
        return errors


class TemporaryManagedBy(Window):
    """A temporary additional owner of a group (a user or a group) or a temporary additional
    manager of a user (a user)."""

    class Role(models.TextChoices):
        OWNER = "owner", "Additional owner"
        MANAGER = "manager", "Additional manager"

    role = models.CharField(max_length=8, choices=Role.choices)
    target = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    holder = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["start_date", "id"]
        verbose_name = "temporary additional owner or manager"
        indexes = [
            models.Index(fields=["store", "state", "start_date"], name="lc_mb_start"),
            models.Index(fields=["store", "state", "end_date"], name="lc_mb_end"),
        ]

    def __str__(self) -> str:
        return f"{self.holder} · {self.get_role_display()} of {self.target} {self.start_date}…"

    @property
    def removal_date(self) -> date:
        return self.end_date

    def errors(self) -> dict[str, str]:
        errors = super().errors()
        target = self.target if self.target_id else None
        holder = self.holder if self.holder_id else None
        if self.role == self.Role.OWNER:
            if target is not None and target.kind != Kind.GROUP:
                errors["target"] = "An additional owner is an owner of a group."
            if holder is not None and holder.kind not in (Kind.USER, Kind.GROUP):
                errors["holder"] = "An owner must be a user or a group."
        else:
            if target is not None and target.kind != Kind.USER:
                errors["target"] = "An additional manager is a manager of a user."
            if holder is not None and holder.kind != Kind.USER:
                errors["holder"] = "A manager must be a user."
        if target is not None and holder is not None and target.pk == holder.pk:
            errors["holder"] = "An object cannot own or manage itself."
        for name, obj in (("target", target), ("holder", holder)):
            if obj is not None and obj.store_id != self.store_id:
                errors[name] = "This object belongs to another identity store."
        return errors
