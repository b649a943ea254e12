"""Directory objects of an identity store: users, contacts and groups.

All three kinds live in one table (`DirectoryObject`) so that membership, ownership and management
are plain edges between rows of one table: expanding a group nested any number of levels is one
recursive query, whatever kinds its members are. `DirectoryUser`, `DirectoryContact` and
`DirectoryGroup` are proxies that read and create one kind. The links between them (membership,
owners, managers) are in `links`.

The table keeps the name it had when these models lived in the identitystores app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

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
        db_table = "identitystores_directoryobject"
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
