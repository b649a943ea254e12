"""What every change service shares: who acts (`Actor`), how a refusal is told (`ChangeError`),
which attributes may change, and the checks run before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from ..models import DirectoryObject, Route

Kind = DirectoryObject.Kind

EDITABLE: dict[str, tuple[str, ...]] = {
    Kind.USER: (
        "name",
        "email",
        "mail_enabled",
        "language",
        "password_last_set",
        "password_expires",
    ),
    Kind.CONTACT: ("name", "email"),
    Kind.GROUP: ("name", "email", "security_type"),
}
SYNC_FIELDS = ("external_id", "source")


@dataclass(frozen=True)
class Actor:
    """Who made a change: an Admin Center account (or nobody, for schedules and sync) and the
    route. `credentials` is the admin's sign-in secret, kept only for mail that must go out with
    it (stores without SMTP user authentication); it never appears in the repr, so debug pages,
    logs and error trackers that print an Actor do not show it."""

    user: Any = None
    route: str = Route.ADMIN_CENTER
    credentials: str = field(default="", repr=False)
    # False records events without announcing them (bulk imports); every route notifies by default.
    notify: bool = True

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user else Route(self.route).label


class ChangeError(Exception):
    """A change that cannot be made; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def validate(obj: DirectoryObject) -> None:
    """The model's own checks, as a ChangeError naming the first field that fails."""
    if obj.kind == Kind.GROUP and not obj.security_type:
        obj.security_type = DirectoryObject.SecurityType.PRIVATE
    try:
        obj.full_clean(exclude=["store", "primary_manager", "primary_owner"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ChangeError(" ".join(messages), field) from exc


def require_kind(obj: DirectoryObject, kind: str, field: str) -> None:
    if obj.kind != kind:
        raise ChangeError(f"{obj.name} is not a {kind}.", field)


def same_store(a: DirectoryObject, b: DirectoryObject, field: str) -> None:
    if a.store_id != b.store_id:
        raise ChangeError(f"{b.name} belongs to another identity store.", field)


def check_owner(group: DirectoryObject, owner: DirectoryObject) -> None:
    same_store(group, owner, "owner")
    if owner.kind not in (Kind.USER, Kind.GROUP):
        raise ChangeError("An owner must be a user or a group.", "owner")
    if owner.pk == group.pk:
        raise ChangeError("A group cannot own itself.", "owner")


def check_manager(user: DirectoryObject, manager: DirectoryObject) -> None:
    same_store(user, manager, "manager")
    if manager.kind != Kind.USER:
        raise ChangeError("A manager must be a user.", "manager")
    if manager.pk == user.pk:
        raise ChangeError("A user cannot be their own manager.", "manager")


def display(value) -> str | None:
    """A value as an event shows it: text, numbers and booleans as they are, others as text."""
    if value is None or isinstance(value, str | bool | int):
        return value
    return str(value)
