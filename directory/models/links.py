"""The edges between directory objects: group membership, additional owners and additional
managers. Their tables keep the names they had in the identitystores app."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .objects import DirectoryObject


class GroupMembership(models.Model):
    """One direct member of a group. `member_is_group` copies the member's kind so that nested
    groups are found through an index without touching the (large) set of user members.

    Millions of rows: every index is paid on each insert (a directory's first import writes
    them all). The unique (group, member) index serves lookups by group, so the group column has
    no index of its own, and the nested-group index holds only the rows of nested groups."""

    group = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="member_links", db_index=False
    )
    member = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="memberships"
    )
    member_is_group = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "identitystores_groupmembership"
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], name="one_membership_per_pair"),
        ]
        indexes = [
            models.Index(
                fields=["group"], condition=Q(member_is_group=True), name="nested_group_links"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.name} in {self.group.name}"


class AdditionalOwner(models.Model):
    """An additional owner (user or group) of a group. "Don't notify" keeps this owner out of
    owner notifications."""

    group = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="additional_owner_links"
    )
    owner = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    dont_notify = models.BooleanField("Don't notify", default=False)

    class Meta:
        db_table = "identitystores_additionalowner"
        constraints = [
            models.UniqueConstraint(
                fields=["group", "owner"], name="one_additional_owner_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner.name} owns {self.group.name}"


class AdditionalManager(models.Model):
    """An additional manager of a user."""

    user = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="additional_manager_links"
    )
    manager = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "identitystores_additionalmanager"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "manager"], name="one_additional_manager_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manager.name} manages {self.user.name}"
