"""The Membership Life Cycle job: temporary joins and leaves, then attestation removals.

Phases, in this order, each over the rows due at the store's today:
1. windows that passed entirely between two runs: skipped, recorded, notified;
2. starts due (late ones too, while the window is still open): join → add, leave → remove;
3. "X days before leaving" reminders, once per removal date;
4. ends due: join → remove, leave → add back;
5. attestation reminders, then 6. attestation removals (`attestation`).

Notices follow the store's Membership Lifecycle options (`membership_notices`): On joining
group, On leaving group, X days before the user leaves (also for attestation removals). "On
leaving group" covers attestation removals too: the schedule removes the user from the group.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q

from directory import changes

from . import attestation
from .claims import claim, due_ids, is_member, save_note, start_phases
from .membership_notices import joined, left, skipped
from .models import State, TemporaryMembership
from .reminders import (
    claim_reminder,
    due_before_end,
    leaving_soon,
    membership_days,
    note_missed,
    send_reminder,
)
from .runs import Phase, Run

TM = TemporaryMembership
JOIN, LEAVE = TM.Action.JOIN, TM.Action.LEAVE
TM_RELATED = ("store", "group__store", "user", "requested_by")


def plan(run: Run) -> list[Phase]:
    today = run.today
    items = TM.objects.filter(store=run.store)
    phases = start_phases(items, today, skip_window, start)
    days_before = membership_days(run)
    horizon = today + timedelta(days=days_before) if days_before else None
    if horizon:
        joining = items.filter(action=JOIN, end_date__gt=today, end_date__lte=horizon)
        leaving = items.filter(action=LEAVE, start_date__gt=today, start_date__lte=horizon)
        reminders = due_before_end(joining, today) + due_ids(
            leaving.filter(state=State.SCHEDULED).exclude(reminded_for=F("start_date"))
        )
        phases.append((sorted(set(reminders)), remind))
    phases.append((due_ids(items.filter(state=State.ACTIVE, end_date__lte=today)), end))
    return phases + attestation.phases(run, horizon)


# --- Temporary membership ---------------------------------------------------------------------


@transaction.atomic
def skip_window(run: Run, pk: int) -> None:
    """The whole window lies before today: nothing is still due. Record it and tell the admins
    (To:/CC:) and — when On joining or On leaving is ticked — the user."""
    item = claim(TM, pk, Q(state=State.SCHEDULED), TM_RELATED, state=State.SKIPPED)
    if item is None:
        return
    text = (
        f"{item.get_action_display()}: {item.user.name} · {item.group.name} from "
        f"{item.start_date} to {item.end_date} was not applied: the schedule did not run in "
        "that period."
    )
    save_note(item, "Skipped: the schedule did not run in the period.")
    run.skip(text)
    run.counts["skipped"] += 1
    skipped(run, item)


@transaction.atomic
def start(run: Run, pk: int) -> None:
    window_open = Q(state=State.SCHEDULED, end_date__gt=run.today)
    # Claimed as applied: one UPDATE for the usual case; the "unchanged" branch takes it back.
    item = claim(TM, pk, window_open, TM_RELATED, state=State.ACTIVE, start_applied=True)
    if item is None:
        return
    member = is_member(item.group_id, item.user_id)
    if item.action == JOIN and not member:
        changes.add_member(item.group, item.user, run.actor)
        joined(run, item)
    elif item.action == LEAVE and member:
        _note_missed_reminder(run, item)
        changes.remove_member(item.group, item.user, run.actor)
        left(run, item)
    else:
        run.counts["unchanged"] += 1
        item.start_applied = False
        save_note(
            item,
            "Already a member at the start: stays in the group at the end."
            if member
            else "Not a member at the start: not added at the end.",
            "start_applied",
        )


def remind(run: Run, pk: int) -> None:
    """Once per removal date: the claim sets `reminded_for` to the date reminded of."""
    action = TM.objects.filter(pk=pk).values_list("action", flat=True).first()
    if action == JOIN:
        _remind(run, pk, Q(state=State.ACTIVE, start_applied=True), "end_date")
    elif action == LEAVE:
        _remind(run, pk, Q(state=State.SCHEDULED), "start_date")


@transaction.atomic
def _remind(run: Run, pk: int, state: Q, removal: str) -> None:
    item = claim_reminder(TM, pk, state, removal, TM_RELATED)
    if item is None or not is_member(item.group_id, item.user_id):
        return
    notice = leaving_soon(run, item.group, item.user, item.removal_date)
    send_reminder(run, notice, {item.user})


@transaction.atomic
def end(run: Run, pk: int) -> None:
    item = claim(TM, pk, Q(state=State.ACTIVE), TM_RELATED, state=State.DONE)
    if item is None or not item.start_applied:
        return
    member = is_member(item.group_id, item.user_id)
    if item.action == JOIN and member:
        _note_missed_reminder(run, item)
        changes.remove_member(item.group, item.user, run.actor)
        left(run, item)
    elif item.action == LEAVE and not member:
        changes.add_member(item.group, item.user, run.actor)
        joined(run, item)
    else:
        run.counts["unchanged"] += 1
        save_note(
            item,
            "No longer a member at the end: nothing to remove."
            if item.action == JOIN
            else "Already back in the group at the end: nothing to add.",
        )


def _note_missed_reminder(run: Run, item: TemporaryMembership) -> None:
    removal, who = item.removal_date, item.user.name
    note_missed(run, membership_days(run), item, removal, who, item.group.name)
