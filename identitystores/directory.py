"""Directory objects of an identity store: users, contacts and groups, with membership, owners and
managers.

All three kinds live in one table (`DirectoryObject`) so that membership, ownership and management
are plain edges between rows of one table: expanding a group nested any number of levels is one
recursive query, whatever kinds its members are. `DirectoryUser`, `DirectoryContact` and
`DirectoryGroup` are proxies that read and create one kind.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

__all__ = [
    "AdditionalManager",
    "AmbiguousReference",
    "AdditionalOwner",
    "DirectoryContact",
    "DirectoryGroup",
    "DirectoryObject",
    "DirectoryUser",
    "GroupMembership",
    "find_object",
]

SOURCE_LOCAL = "local"


class DirectoryObject(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "User"
        CONTACT = "contact", "Contact"
        GROUP = "group", "Group"

    class SecurityType(models.TextChoices):
        PRIVATE = "private", "Private"
        SEMI_PRIVATE = "semi_private", "Semi-private"
        PUBLIC = "public", "Public"

    # No index of its own: the (store, kind, name) index serves every lookup by store.
    store = models.ForeignKey(
        "identitystores.IdentityStore",
        on_delete=models.CASCADE,
        related_name="directory_objects",
        db_index=False,
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=256)
    email = models.EmailField(max_length=254, blank=True)
    # Only a mail-enabled object with an address is ever sent mail.
    mail_enabled = models.BooleanField("Mail-enabled", default=True)
    language = models.CharField(max_length=16, default="en")

    # Users
    primary_manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    password_last_set = models.DateTimeField(null=True, blank=True)
    password_expires = models.DateTimeField("Password expiry date", null=True, blank=True)

    # Groups
    security_type = models.CharField(max_length=16, choices=SecurityType.choices, blank=True)
    primary_owner = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_groups"
    )

    # Where the object comes from: "local" (Admin Center, shell, import) or a sync source, with
    # the directory's stable identifier (objectGUID / entryUUID) so renames are not re-creations.
    # NULL (not "") for "none", so the per-store uniqueness ignores objects without one.
    source = models.CharField(max_length=32, default=SOURCE_LOCAL)
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["store", "kind", "name"]),
            models.Index(fields=["store", "email"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "external_id"],
                condition=Q(external_id__isnull=False),
                name="directory_object_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP

    @property
    def is_user(self) -> bool:
        return self.kind == self.Kind.USER

    @property
    def is_addressable(self) -> bool:
        return bool(self.email) and self.mail_enabled


class _KindManager(models.Manager):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class _OneKind:
    """Mixed into a proxy bound to one kind: new rows get that kind."""

    KIND = ""

    def save(self, *args, **kwargs) -> None:
        self.kind = self.KIND
        super().save(*args, **kwargs)


class DirectoryUser(_OneKind, DirectoryObject):
    KIND = DirectoryObject.Kind.USER
    objects = _KindManager(KIND)

    class Meta:
        proxy = True


class DirectoryContact(_OneKind, DirectoryObject):
    KIND = DirectoryObject.Kind.CONTACT
    objects = _KindManager(KIND)

    class Meta:
        proxy = True


class DirectoryGroup(_OneKind, DirectoryObject):
    KIND = DirectoryObject.Kind.GROUP
    objects = _KindManager(KIND)

    class Meta:
        proxy = True


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
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], name="one_membership_per_pair"),
        ]
        indexes = [
            models.Index(
                fields=["group"], condition=Q(member_is_group=True), name="nested_group_links"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.group_id}"


class AdditionalOwner(models.Model):
    """An additional owner (user or group) of a group. "Don't notify" keeps this owner out of
    owner notifications."""

    group = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="additional_owner_links"
    )
    owner = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")
    dont_notify = models.BooleanField("Don't notify", default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "owner"], name="one_additional_owner_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} owns {self.group_id}"


class AdditionalManager(models.Model):
    """An additional manager of a user."""

    user = models.ForeignKey(
        DirectoryObject, on_delete=models.CASCADE, related_name="additional_manager_links"
    )
    manager = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "manager"], name="one_additional_manager_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id} manages {self.user_id}"


class AmbiguousReference(Exception):
    """Several objects match a name; the caller should ask for the address or the id."""


def find_object(store_id: int, reference: str, kinds: tuple[str, ...] = ()) -> DirectoryObject:
    """The object of the store that `reference` names: "#42" (id), an email address, an external
    id, or an exact name (all but the id compared case-insensitively).

    Raises DirectoryObject.DoesNotExist or AmbiguousReference."""
    reference = reference.strip()
    objects = DirectoryObject.objects.filter(store_id=store_id)
    if kinds:
        objects = objects.filter(kind__in=kinds)
    if reference.startswith("#") and reference[1:].isdigit():
        return objects.get(pk=int(reference[1:]))
    for lookup in ("email__iexact", "external_id", "name__iexact"):
        found = list(objects.filter(**{lookup: reference})[:2]) if reference else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousReference(
                f"Several objects match “{reference}”; use the email address or #id."
            )
    raise DirectoryObject.DoesNotExist(f"No object matches “{reference}”.")
