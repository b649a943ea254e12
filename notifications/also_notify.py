"""The **Also Notify** boxes of the Notifications page: one function per box, picking the
directory objects (or, for the acting admin without a directory account, the address) it tells.

Every box reads the directory as it is *after* the change (see `recipients.py`). What a box
picks is a `Picked`: objects with the first rule that picked them, which `expansion.py` then
turns into addresses; with a `Trace`, whom a box leaves out is collected as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from directory.models import AdditionalManager, DirectoryEvent, DirectoryObject, EventKind

from .expansion import Recipient, owners
from .models import NotificationSettings
from .recipient_trace import LeftOut, Trace

# Rule codes: what each recipient's `why` and each outbox row's record name (see explain.RULES).
ACTOR, MODIFIED, OWNERS, MANAGERS = "actor", "modified", "owners", "managers"
ADDED, REMOVED, PUBLIC_OWNERS = "added", "removed", "public_owners"


@dataclass
class Picked:
    """What the rules pick: directory objects, each with the first rule that picked it (groups
    expand to members), and literal addresses."""

    objects: dict[int, str] = field(default_factory=dict)
    addresses: list[Recipient] = field(default_factory=list)

    @classmethod
    def of(cls, rule: str, ids) -> Picked:
        return cls(objects={pk: rule for pk in ids if pk is not None})

    def add(self, other: Picked, trace: Trace | None = None) -> None:
        """Take what `other` picked; an object picked already keeps its first rule."""
        for pk, rule in other.objects.items():
            first = self.objects.setdefault(pk, rule)
            if first != rule and trace is not None:
                trace.leave_out(LeftOut(pk, "", "", (rule, ()), "already", (first, ())))
        self.addresses += other.addresses


# Each box's function takes the event and, when explaining, a Trace that collects whom the
# rule leaves out.


def logged_in_user(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Logged in users for their actions: the admin who made the change, if mail-enabled.

    The admin's directory account in this store (same address) decides "mail-enabled"; an
    Admin Center account with no directory account is reached at its own address. Changes with
    no acting user (life-cycle schedule, directory sync) notify nobody here."""
    user = event.actor
    if user is None or not user.email:
        if trace is not None:
            name = user.get_username() if user else event.get_route_display()
            trace.leave_out(LeftOut(None, name, "", (ACTOR, ()), "no_actor"))
        return Picked()
    account = (
        DirectoryObject.objects.filter(
            store_id=event.store_id, kind=DirectoryObject.Kind.USER, email__iexact=user.email
        )
        .values_list("id", flat=True)
        .first()
    )
    if account is not None:
        return Picked.of(ACTOR, [account])
    name = user.get_full_name() or user.get_username()
    return Picked(addresses=[Recipient(user.email.lower(), name, why=(ACTOR, ()))])


def object_being_modified(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Object being modified: the user, contact or group changed; a group reaches all members."""
    return Picked.of(MODIFIED, [event.object_id])


def group_owners(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Group owner(s) for their groups: primary and additional owners of the changed group,
    except additional owners marked "Don't notify"."""
    if not _is_group(event):
        return Picked()
    return Picked.of(OWNERS, owners(event.object_id, trace, OWNERS))


def managers(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Manager(s) for their direct reports: primary and additional managers of the changed user."""
    if event.object_id is None:
        return Picked()
    primary = DirectoryObject.objects.filter(
        pk=event.object_id, kind=DirectoryObject.Kind.USER, primary_manager__isnull=False
    ).values_list("primary_manager_id", flat=True)
    additional = AdditionalManager.objects.filter(user_id=event.object_id).values_list(
        "manager_id", flat=True
    )
    return Picked.of(MANAGERS, set(primary) | set(additional))


def newly_added_member(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Newly added group members on addition: the object added (a group reaches its members)."""
    if event.kind == EventKind.MEMBER_ADDED and event.member_id:
        return Picked.of(ADDED, [event.member_id])
    return Picked()


def removed_member(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Removed group member on removal: the object removed (a group reaches its members)."""
    if event.kind == EventKind.MEMBER_REMOVED and event.member_id:
        return Picked.of(REMOVED, [event.member_id])
    return Picked()


def public_group_owners(event: DirectoryEvent, trace: Trace | None = None) -> Picked:
    """Public group owner for membership: owners of a *public* group on a membership change.
    "Don't notify" owners are left out here too: the flag means "no owner notifications"."""
    if not event.is_membership_change or not _is_group(event):
        return Picked()
    public = DirectoryObject.objects.filter(
        pk=event.object_id, security_type=DirectoryObject.SecurityType.PUBLIC
    ).exists()
    if public:
        return Picked.of(PUBLIC_OWNERS, owners(event.object_id, trace, PUBLIC_OWNERS))
    if trace is not None:
        for pk in sorted(owners(event.object_id)):
            trace.leave_out(LeftOut(pk, "", "", (PUBLIC_OWNERS, ()), "not_public"))
    return Picked()


Rule = Callable[[DirectoryEvent, "Trace | None"], Picked]
ALSO_NOTIFY: dict[str, Rule] = {
    "notify_actor": logged_in_user,
    "notify_modified_object": object_being_modified,
    "notify_group_owners": group_owners,
    "notify_managers": managers,
    "notify_added_member": newly_added_member,
    "notify_removed_member": removed_member,
    "notify_public_group_owners": public_group_owners,
}


def also_notify(
    event: DirectoryEvent, settings: NotificationSettings, trace: Trace | None = None
) -> Picked:
    """The union of what every ticked box picks; an object keeps the first box that picked it."""
    picked = Picked()
    for box, rule in ALSO_NOTIFY.items():
        if getattr(settings, box):
            picked.add(rule(event, trace), trace)
    return picked


def _is_group(event: DirectoryEvent) -> bool:
    return event.object is not None and event.object.kind == DirectoryObject.Kind.GROUP
