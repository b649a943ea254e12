"""Attestation removals, a phase of the Membership Life Cycle job: a group's attestation marks
a member for removal on a date; the job reminds them X days before and removes them then.

Apart from temporary memberships (`membership`) because the rows are another model with their
own life: one date, no window, nothing to put back. Notices follow the Membership Lifecycle
options: "On leaving group" for the removal, "X days before the user leaves" for the reminder.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F, Q

from directory import changes
from notifications.notify import Notice, send_notice

from .claims import claim, due_ids, is_member, save_note
from .models import AttestationRemoval, State
from .reminders import claim_reminder, leaving_soon, membership_days, note_missed, send_reminder
from .runs import Phase, Run

AR = AttestationRemoval
AR_RELATED = ("store", "group__store", "member")


def phases(run: Run, horizon: date | None) -> list[Phase]:
    """Reminders due before `horizon` (None: reminders are off), then removals due today."""
    marks = AR.objects.filter(store=run.store, state=State.SCHEDULED)
    due: list[Phase] = []
    if horizon:
        soon = marks.filter(remove_on__gt=run.today, remove_on__lte=horizon)
        due.append((due_ids(soon.exclude(reminded_for=F("remove_on"))), remind_attestation))
    due.append((due_ids(marks.filter(remove_on__lte=run.today)), remove_attestation))
    return due


@transaction.atomic
def remind_attestation(run: Run, pk: int) -> None:
    mark = claim_reminder(AR, pk, Q(state=State.SCHEDULED), "remove_on", AR_RELATED)
    if mark is None or not is_member(mark.group_id, mark.member_id):
        return
    notice = leaving_soon(run, mark.group, mark.member, mark.remove_on)
    send_reminder(run, notice, {mark.member})


@transaction.atomic
def remove_attestation(run: Run, pk: int) -> None:
    mark = claim(AR, pk, Q(state=State.SCHEDULED), AR_RELATED, state=State.DONE)
    if mark is None:
        return
    if not is_member(mark.group_id, mark.member_id):
        run.counts["unchanged"] += 1
        save_note(mark, "No longer a member on the removal date.")
        return
    leaving = mark.group.name
    note_missed(run, membership_days(run), mark, mark.remove_on, mark.member.name, leaving)
    changes.remove_member(mark.group, mark.member, run.actor)
    run.counts["applied"] += 1
    if run.settings is None or not run.settings.ml_on_leave:
        return
    notice = Notice(
        f"{mark.member.name} was removed from {mark.group.name}",
        f"The Membership Life Cycle schedule removed {mark.member.name} from the group "
        f"{mark.group.name}, as marked by the group's attestation.",
        [
            ("Group", mark.group.name),
            ("Removal date", str(mark.remove_on)),
            ("Applied on", run.today.isoformat()),
        ],
    )
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {mark.member})
