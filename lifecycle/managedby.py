"""The Managed By Life Cycle job: temporary additional owners of groups and temporary additional
managers of users.

Phases: windows that passed entirely between two runs (skipped, recorded, notified), starts due,
"X days before removal" reminders (once per end date), ends due. Notices follow the Managed By
options, or the Membership ones with "Same as membership life cycle"
(`NotificationSettings.managed_by_options`):
- added / removed: the temporary owner or manager, and the primary owner of the group or the
  primary manager of the user;
- X days before removal: the temporary owner or manager only (the spec names only them);
- a group as temporary owner reaches all its members, nested groups included.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from directory import changes
from directory.models import AdditionalManager, AdditionalOwner
from notifications.notify import Notice, send_notice

from .claims import claim, due_ids, save_note, start_phases
from .models import State, TemporaryManagedBy
from .reminders import claim_reminder, due_before_end, in_days, note_missed, send_reminder
from .runs import Phase, Run

MB = TemporaryManagedBy
OWNER = MB.Role.OWNER
RELATED = ("store", "target__store", "holder")


def plan(run: Run) -> list[Phase]:
    today = run.today
    items = MB.objects.filter(store=run.store)
    phases = start_phases(items, today, skip_window, start)
    days_before = _options(run)[2]
    if days_before:
        ending = items.filter(end_date__gt=today, end_date__lte=today + timedelta(days=days_before))
        phases.append((sorted(set(due_before_end(ending, today))), remind))
    phases.append((due_ids(items.filter(state=State.ACTIVE, end_date__lte=today)), end))
    return phases


@transaction.atomic
def skip_window(run: Run, pk: int) -> None:
    item = claim(MB, pk, Q(state=State.SCHEDULED), RELATED, state=State.SKIPPED)
    if item is None:
        return
    save_note(item, "Skipped: the schedule did not run in the period.")
    run.skip(
        f"{item.get_role_display()}: {item.holder.name} of {item.target.name} from "
        f"{item.start_date} to {item.end_date} was not applied: the schedule did not run in that "
        "period."
    )
    run.counts["skipped"] += 1
    on_added, on_removed, _ = _options(run)
    notice = Notice(
        f"Temporary {_role(item)} not applied: {item.target.name}",
        f"{item.holder.name} was to be {_role(item)} of {item.target.name} from {item.start_date} "
        f"to {item.end_date}; the whole period passed before the schedule ran, so nothing changed.",
        _details(item, run),
    )
    objects = _with_primary(item) if on_added or on_removed else set()
    run.counts["messages"] += send_notice(run.store, run.settings, notice, objects)


@transaction.atomic
def start(run: Run, pk: int) -> None:
    window_open = Q(state=State.SCHEDULED, end_date__gt=run.today)
    # Claimed as applied: one UPDATE for the usual case; the "unchanged" branch takes it back.
    item = claim(MB, pk, window_open, RELATED, state=State.ACTIVE, start_applied=True)
    if item is None:
        return
    if _holds(item):
        run.counts["unchanged"] += 1
        item.start_applied = False
        save_note(item, f"Already {_role(item)} at the start: stays at the end.", "start_applied")
        return
    if item.role == OWNER:
        changes.add_additional_owner(item.target, item.holder, run.actor)
    else:
        changes.add_additional_manager(item.target, item.holder, run.actor)
    run.counts["applied"] += 1
    if _options(run)[0]:
        notice = Notice(
            f"{item.holder.name} is now {_role(item)} of {item.target.name}",
            f"The Managed By Life Cycle schedule made {item.holder.name} {_role(item)} of "
            f"{item.target.name} until {item.end_date}.",
            _details(item, run),
        )
        run.counts["messages"] += send_notice(run.store, run.settings, notice, _with_primary(item))


@transaction.atomic
def remind(run: Run, pk: int) -> None:
    item = claim_reminder(MB, pk, Q(state=State.ACTIVE, start_applied=True), "end_date", RELATED)
    if item is None or not _holds(item):
        return
    notice = Notice(
        f"{item.holder.name} will stop being {_role(item)} of {item.target.name} on "
        f"{item.end_date}",
        f"{item.holder.name} will be removed as {_role(item)} of {item.target.name} on "
        f"{item.end_date} ({in_days(run, item.end_date)}).",
        _details(item, run),
    )
    send_reminder(run, notice, {item.holder})


@transaction.atomic
def end(run: Run, pk: int) -> None:
    item = claim(MB, pk, Q(state=State.ACTIVE), RELATED, state=State.DONE)
    if item is None or not item.start_applied:
        return
    if not _holds(item, additional_only=True):
        run.counts["unchanged"] += 1
        save_note(item, f"No longer {_role(item)} at the end: nothing to remove.")
        return
    leaving = f"as {_role(item)} of {item.target.name}"
    note_missed(run, _options(run)[2], item, item.end_date, item.holder.name, leaving)
    if item.role == OWNER:
        changes.remove_additional_owner(item.target, item.holder, run.actor)
    else:
        changes.remove_additional_manager(item.target, item.holder, run.actor)
    run.counts["applied"] += 1
    if _options(run)[1]:
        notice = Notice(
            f"{item.holder.name} is no longer {_role(item)} of {item.target.name}",
            f"The Managed By Life Cycle schedule removed {item.holder.name} as {_role(item)} of "
            f"{item.target.name}.",
            _details(item, run),
        )
        run.counts["messages"] += send_notice(run.store, run.settings, notice, _with_primary(item))


def _options(run: Run) -> tuple[bool, bool, int | None]:
    if run.settings is None:
        return False, False, None
    return run.settings.managed_by_options()


def _holds(item: TemporaryManagedBy, *, additional_only: bool = False) -> bool:
    """Whether the holder already is an owner/manager of the target (primary or additional)."""
    if item.role == OWNER:
        primary = item.target.primary_owner_id == item.holder_id
        link = AdditionalOwner.objects.filter(group=item.target_id, owner=item.holder_id)
    else:
        primary = item.target.primary_manager_id == item.holder_id
        link = AdditionalManager.objects.filter(user=item.target_id, manager=item.holder_id)
    return link.exists() or (primary and not additional_only)


def _with_primary(item: TemporaryManagedBy) -> set:
    """The holder (loaded; a group reaches its members) and the id of the target's primary owner
    or manager."""
    primary = item.target.primary_owner_id if item.role == OWNER else item.target.primary_manager_id
    return {item.holder} | ({primary} if primary else set())


def _role(item: TemporaryManagedBy) -> str:
    return "temporary additional owner" if item.role == OWNER else "temporary additional manager"


def _details(item: TemporaryManagedBy, run: Run) -> list[tuple[str, str]]:
    return [
        ("Role", f"{item.get_role_display()} of {item.target.name}"),
        (item.get_role_display(), item.holder.name),
        ("Period", f"{item.start_date} to {item.end_date}"),
        ("Applied on", run.today.isoformat()),
    ]
