""" "Who would be notified?" for an event that has not happened: a change or a life-cycle notice.

A change is previewed on the directory as it would be *after* it, as the resolver reads it when
the change is real: the membership, owner or manager row is written in a savepoint that is
always rolled back, the (unsaved) event is explained, and nothing else happens — no event row, no
history entry, no write-back to an external directory, no mail. Life-cycle notices are explained
with the same pieces `send_notice` and `send_password_warning` use (To:/CC: of the store, then the
named objects expanded), gated by the store's options exactly as the life-cycle jobs gate them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from directory.models import (
    AdditionalManager,
    AdditionalOwner,
    DirectoryEvent,
    DirectoryObject,
    EventKind,
    GroupMembership,
    Route,
)

from .expansion import Recipient, expand
from .explain import SHOWN, Explanation, collect, describe, explain_event
from .models import NotificationSettings
from .recipient_trace import LeftOut, Trace
from .recipients import store_to_cc

Obj = DirectoryObject
Apply = Callable[[Obj, Obj | None], None]

APPLY: dict[str, Apply] = {
    EventKind.MEMBER_ADDED: lambda g, o: GroupMembership.objects.get_or_create(
        group=g, member=o, defaults={"member_is_group": o.is_group}
    ),
    EventKind.MEMBER_REMOVED: lambda g, o: GroupMembership.objects.filter(
        group=g, member=o
    ).delete(),
    EventKind.OWNER_SET: lambda g, o: Obj.objects.filter(pk=g.pk).update(primary_owner=o),
    EventKind.OWNER_ADDED: lambda g, o: AdditionalOwner.objects.get_or_create(group=g, owner=o),
    EventKind.OWNER_REMOVED: lambda g, o: AdditionalOwner.objects.filter(group=g, owner=o).delete(),
    EventKind.MANAGER_SET: lambda u, o: Obj.objects.filter(pk=u.pk).update(primary_manager=o),
    EventKind.MANAGER_ADDED: lambda u, o: AdditionalManager.objects.get_or_create(
        user=u, manager=o
    ),
    EventKind.MANAGER_REMOVED: lambda u, o: AdditionalManager.objects.filter(
        user=u, manager=o
    ).delete(),
}


class _Preview(Exception):
    """Raised to roll the savepoint back once the explanation is read."""


def explain_change(
    settings: NotificationSettings | None, kind: str, obj: Obj, other: Obj | None, user
) -> Explanation:
    """Who would be notified if `user` made change `kind` to `obj` (with `other`: the member,
    owner or manager concerned) in the Admin Center now."""
    event = DirectoryEvent(
        store=obj.store,
        kind=kind,
        route=Route.ADMIN_CENTER,
        actor=user,
        actor_name=user.get_username() if user else "",
        object=obj,
        object_name=obj.name,
        member=other,
        member_name=other.name if other else "",
    )
    found = Explanation()
    try:
        with transaction.atomic():
            if kind in APPLY:
                APPLY[kind](obj, other)
            found = explain_event(event, settings)
            raise _Preview
    except _Preview:
        pass
    return found


# --- Life-cycle notices -----------------------------------------------------------------------

NOTICES = {
    "ml_join": "Membership life cycle: on joining group",
    "ml_leave": "Membership life cycle: on leaving group",
    "ml_before": "Membership life cycle: X days before leaving the group",
    "mb_added": "Managed By life cycle: added as additional owner/manager",
    "mb_removed": "Managed By life cycle: removed as additional owner/manager",
    "mb_before": "Managed By life cycle: X days before removal as additional owner/manager",
    "password": "Password-expiry warning",
}
OPTION_OFF = "Not sent: “{}” is not selected on the Notifications page."


def explain_notice(
    settings: NotificationSettings | None, notice: str, obj: Obj, target: Obj | None
) -> Explanation:
    """Who would receive life-cycle notice `notice` about `obj` (the user joining or leaving,
    or the temporary owner/manager of `target`)."""
    if settings is None:
        return Explanation(notes=["This identity store has no notification settings: no mail."])
    if notice == "password":
        return _password(obj)
    option, objects = _notice_rule(settings, notice, obj, target)
    if option:
        return Explanation(notes=[OPTION_OFF.format(option)])
    to, cc = store_to_cc(settings)
    trace = Trace()
    trace.chosen_store_copies(to, cc)
    seen = {a.lower() for a in to + cc}
    found = Explanation(to=to, cc=cc)
    return collect(found, expand(obj.store_id, objects, exclude=seen, trace=trace), trace)


def _notice_rule(
    settings: NotificationSettings, notice: str, obj: Obj, target: Obj | None
) -> tuple[str, set[int]]:
    """(the label of the option that is off, or "") and the objects the job names."""
    field = settings._meta.get_field
    added, removed, days = settings.managed_by_options()
    mb_label = "Same as membership life cycle" if settings.mb_same_as_membership else ""
    rules = {
        "ml_join": (settings.ml_on_join, field("ml_on_join").verbose_name, False),
        "ml_leave": (settings.ml_on_leave, field("ml_on_leave").verbose_name, False),
        "ml_before": (
            settings.membership_days_before(),
            field("ml_days_before_enabled").verbose_name,
            False,
        ),
        "mb_added": (added, mb_label or field("mb_on_added").verbose_name, True),
        "mb_removed": (removed, mb_label or field("mb_on_removed").verbose_name, True),
        "mb_before": (days, mb_label or field("mb_days_before_enabled").verbose_name, False),
    }
    on, label, with_primary = rules[notice]
    objects = {obj.pk}
    if with_primary and target is not None:
        objects.add(target.primary_owner_id if target.is_group else target.primary_manager_id)
    return ("" if on else str(label)), objects - {None}


def _password(user: Obj) -> Explanation:
    """One personal warning to the member, no copy to To:/CC: (as `send_password_warning`)."""
    notes = []
    if not user.store.supports_password_expiry:
        notes.append("Password-expiry groups are not available for Microsoft Entra ID stores.")
    trace = Trace()
    why = ("password-expiry", ())
    found = Explanation(notes=notes)
    if user.is_addressable:
        recipient = Recipient(user.email.lower(), user.name, user.language or "en", why)
        return collect(found, [recipient], trace, SHOWN)
    reason = "no_address" if not user.email else "not_mail_enabled"
    trace.leave_out(LeftOut(user.pk, user.name, user.email.lower(), why, reason))
    describe(found, [], trace)
    return found
