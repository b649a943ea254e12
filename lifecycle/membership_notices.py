"""What the Membership Life Cycle job tells people about temporary memberships it applied or
skipped, following the store's Membership Lifecycle options.

Each notice names the group, the change, the period and who asked for it, and goes to the user
(when the option is ticked) and the store's To:/CC:. Reminders before a removal are shared with
attestation removals (`reminders.py`).
"""

from __future__ import annotations

from notifications.notify import Notice, send_notice

from .models import TemporaryMembership
from .runs import Run


def skipped(run: Run, item: TemporaryMembership) -> None:
    """A window that passed entirely between two runs: the admins (To:/CC:) are told, and the
    user too when On joining or On leaving is ticked."""
    wants = run.settings is not None and (run.settings.ml_on_join or run.settings.ml_on_leave)
    notice = Notice(
        f"Temporary membership not applied: {item.group.name}",
        f"The temporary membership change of {item.user.name} in the group {item.group.name} "
        f"was not applied: its whole period passed before the schedule ran.",
        _details(item, run),
    )
    run.counts["messages"] += send_notice(
        run.store, run.settings, notice, {item.user} if wants else set()
    )


def joined(run: Run, item: TemporaryMembership) -> None:
    """Count the addition; tell the user and the admins when "On joining group" is ticked."""
    _changed(run, item, "added", "to", bool(run.settings and run.settings.ml_on_join))


def left(run: Run, item: TemporaryMembership) -> None:
    """Count the removal; tell the user and the admins when "On leaving group" is ticked."""
    _changed(run, item, "removed", "from", bool(run.settings and run.settings.ml_on_leave))


def _changed(run: Run, item: TemporaryMembership, verb: str, to: str, wanted: bool) -> None:
    """Count the change and, if the store's option asks for it, tell the user and the admins."""
    run.counts["applied"] += 1
    if not wanted:
        return
    notice = Notice(
        f"{item.user.name} was {verb} {to} {item.group.name}",
        f"The Membership Life Cycle schedule {verb} {item.user.name} {to} the group "
        f"{item.group.name}.",
        _details(item, run),
    )
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {item.user})


def _details(item: TemporaryMembership, run: Run) -> list[tuple[str, str]]:
    details = [
        ("Group", item.group.name),
        ("Change", item.get_action_display()),
        ("Period", f"{item.start_date} to {item.end_date}"),
    ]
    if item.requested_by_id and item.requested_by_id != item.user_id:
        details.append(("Requested by", item.requested_by.name))
    details.append(("Applied on", run.today.isoformat()))
    return details
