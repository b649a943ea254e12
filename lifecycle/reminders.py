"""The "X days before removal" reminder, written once for every job that removes someone.

Temporary memberships, attestation removals and temporary owners and managers all remind the
person leaving the same way: once per removal date (the claim sets `reminded_for` to the date
reminded of), and, when a removal comes and no run sent the reminder in its window, the miss is
recorded on the run. One home, so the jobs cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import F, Model, Q, QuerySet

from notifications.notify import Notice, send_notice

from . import days
from .claims import claim, due_ids
from .models import State
from .runs import Run


def due_before_end(ending: QuerySet, today: date) -> list[int]:
    """Rows ending within the reminder period that are due a reminder: started and not yet
    reminded of this end date, or starting late today (the start phase applies them first)."""
    started = ending.filter(state=State.ACTIVE, start_applied=True)
    late = ending.filter(state=State.SCHEDULED, start_date__lte=today)
    return due_ids(started.exclude(reminded_for=F("end_date"))) + due_ids(late)


def claim_reminder(
    model: type[Model], pk: int, state: Q, removal: str, select: tuple[str, ...]
) -> Model | None:
    """Claim row `pk`'s reminder for the date in its field `removal`, once per date."""
    condition = state & ~Q(reminded_for=F(removal))
    return claim(model, pk, condition, select, reminded_for=F(removal))


def send_reminder(run: Run, notice: Notice, objects: set) -> None:
    """`objects`: ids, or the loaded objects (see `send_notice`)."""
    run.counts["reminders"] += 1
    run.counts["messages"] += send_notice(run.store, run.settings, notice, objects)


def in_days(run: Run, removal: date) -> str:
    left = (removal - run.today).days
    return f"in {left} day{'s' if left != 1 else ''}"


def leaving_soon(run: Run, group, member, removal: date) -> Notice:
    """The reminder of a removal from a group (temporary membership or attestation)."""
    return Notice(
        f"{member.name} will leave {group.name} on {removal}",
        f"{member.name} will be removed from the group {group.name} on {removal} "
        f"({in_days(run, removal)}).",
        [("Group", group.name), ("Removal date", str(removal))],
    )


def membership_days(run: Run) -> int | None:
    """The Membership Lifecycle's "X days before the user leaves", or None when off."""
    return run.settings.membership_days_before() if run.settings else None


def note_missed(
    run: Run, days_before: int | None, item: Model, removal: date, who: str, leaving: str
) -> None:
    """Record on the run that `who` leaves `leaving` on `removal` without the reminder due."""
    if missed(run, days_before, removal, item.created, item.reminded_for):
        run.skip(
            f"Reminder to {who} before leaving {leaving} on {removal} was not sent: the "
            "schedule did not run in the reminder period."
        )
        run.counts["skipped"] += 1


def missed(
    run: Run, days_before: int | None, removal: date, created: datetime, reminded_for: date | None
) -> bool:
    """True when an "X days before" reminder had a window — from X days before the removal (or
    from the item's creation, if later) to the removal — and no run sent it in that window."""
    if not days_before or reminded_for == removal:
        return False
    window_opens = max(removal - timedelta(days=days_before), days.today(run.store, created))
    return window_opens < removal
