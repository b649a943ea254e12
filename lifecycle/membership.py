"""The Membership Life Cycle job: temporary joins and leaves, and attestation removals.

Phases, in this order, each over the rows due at the store's today:
1. windows that passed entirely between two runs: skipped, recorded, notified;
2. starts due (late ones too, while the window is still open): join → add, leave → remove;
3. "X days before leaving" reminders, once per removal date;
4. ends due: join → remove, leave → add back;
5. attestation reminders, then 6. attestation removals.

Notices follow the store's Membership Lifecycle options: On joining group, On leaving group,
X days before the user leaves (also for attestation removals). "On leaving group" covers
attestation removals too: the schedule removes the user from the group.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q

from directory import changes

from .claims import claim, is_member, missed_reminder
from .models import AttestationRemoval, State, TemporaryMembership
from .notices import Notice, send_notice
from .runs import Phase, Run

TM = TemporaryMembership
AR = AttestationRemoval
JOIN, LEAVE = TM.Action.JOIN, TM.Action.LEAVE
TM_RELATED = ("store", "group", "user", "requested_by")
AR_RELATED = ("store", "group", "member")
NOT_REMINDED_END = {"reminded_for": F("end_date")}


def plan(run: Run) -> list[Phase]:
    today = run.today
    items = TM.objects.filter(store=run.store)
    marks = AR.objects.filter(store=run.store, state=State.SCHEDULED)
    scheduled = items.filter(state=State.SCHEDULED)
    # Starts are read by start date only (the due-start index); those whose window has passed
    # are the skipped ones of the first phase, which `start` does not claim.
    passed = _ids(scheduled.filter(end_date__lte=today))
    starts = sorted(set(_ids(scheduled.filter(start_date__lte=today))) - set(passed))
    phases: list[Phase] = [(passed, skip_window), (starts, start)]
    days_before = _days_before(run)
    if days_before:
        horizon = today + timedelta(days=days_before)
        joining = items.filter(action=JOIN, end_date__gt=today, end_date__lte=horizon)
        leaving = items.filter(action=LEAVE, start_date__gt=today, start_date__lte=horizon)
        reminders = (
            _ids(
                joining.filter(state=State.ACTIVE, start_applied=True).exclude(
                    reminded_for=F("end_date")
                )
            )
            + _ids(joining.filter(state=State.SCHEDULED, start_date__lte=today))
            + _ids(leaving.filter(state=State.SCHEDULED).exclude(reminded_for=F("start_date")))
        )
        phases.append((sorted(set(reminders)), remind))
    phases.append((_ids(items.filter(state=State.ACTIVE, end_date__lte=today)), end))
    if days_before:
        soon = marks.filter(remove_on__gt=today, remove_on__lte=horizon)
        phases.append((_ids(soon.exclude(reminded_for=F("remove_on"))), remind_attestation))
    phases.append((_ids(marks.filter(remove_on__lte=today)), remove_attestation))
    return phases


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
    _save_note(item, "Skipped: the schedule did not run in the period.")
    run.skip(text)
    run.counts["skipped"] += 1
    wants = run.settings is not None and (run.settings.ml_on_join or run.settings.ml_on_leave)
    notice = Notice(
        f"Temporary membership not applied: {item.group.name}",
        f"The temporary membership change of {item.user.name} in the group {item.group.name} "
        f"was not applied: its whole period passed before the schedule ran.",
        _details(item, run),
    )
    run.counts["messages"] += send_notice(
        run.store, run.settings, notice, {item.user_id} if wants else set()
    )


@transaction.atomic
def start(run: Run, pk: int) -> None:
    window_open = Q(state=State.SCHEDULED, end_date__gt=run.today)
    item = claim(TM, pk, window_open, TM_RELATED, state=State.ACTIVE)
    if item is None:
        return
    member = is_member(item.group_id, item.user_id)
    if item.action == JOIN and not member:
        changes.add_member(item.group, item.user, run.actor)
        _joined(run, item)
    elif item.action == LEAVE and member:
        _note_missed_reminder(run, item)
        changes.remove_member(item.group, item.user, run.actor)
        _left(run, item)
    else:
        run.counts["unchanged"] += 1
        _save_note(
            item,
            "Already a member at the start: stays in the group at the end."
            if member
            else "Not a member at the start: not added at the end.",
        )
        return
    item.start_applied = True
    item.save(update_fields=["start_applied"])


def remind(run: Run, pk: int) -> None:
    """Once per removal date: the claim sets `reminded_for` to the date reminded of."""
    action = TM.objects.filter(pk=pk).values_list("action", flat=True).first()
    if action == JOIN:
        _remind(run, pk, Q(state=State.ACTIVE, start_applied=True), "end_date")
    elif action == LEAVE:
        _remind(run, pk, Q(state=State.SCHEDULED), "start_date")


@transaction.atomic
def _remind(run: Run, pk: int, state: Q, removal: str) -> None:
    condition = state & ~Q(reminded_for=F(removal))
    item = claim(TM, pk, condition, TM_RELATED, reminded_for=F(removal))
    if item is None or not is_member(item.group_id, item.user_id):
        return
    run.counts["reminders"] += 1
    notice = _leaving_soon(run, item.group, item.user, item.removal_date)
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {item.user_id})


@transaction.atomic
def end(run: Run, pk: int) -> None:
    item = claim(TM, pk, Q(state=State.ACTIVE), TM_RELATED, state=State.DONE)
    if item is None or not item.start_applied:
        return
    member = is_member(item.group_id, item.user_id)
    if item.action == JOIN and member:
        _note_missed_reminder(run, item)
        changes.remove_member(item.group, item.user, run.actor)
        _left(run, item)
    elif item.action == LEAVE and not member:
        changes.add_member(item.group, item.user, run.actor)
        _joined(run, item)
    else:
        run.counts["unchanged"] += 1
        _save_note(
            item,
            "No longer a member at the end: nothing to remove."
            if item.action == JOIN
            else "Already back in the group at the end: nothing to add.",
        )


def _joined(run: Run, item: TemporaryMembership) -> None:
    run.counts["applied"] += 1
    if run.settings is None or not run.settings.ml_on_join:
        return
    notice = Notice(
        f"{item.user.name} was added to {item.group.name}",
        f"The Membership Life Cycle schedule added {item.user.name} to the group "
        f"{item.group.name}.",
        _details(item, run),
    )
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {item.user_id})


def _left(run: Run, item: TemporaryMembership) -> None:
    run.counts["applied"] += 1
    if run.settings is None or not run.settings.ml_on_leave:
        return
    notice = Notice(
        f"{item.user.name} was removed from {item.group.name}",
        f"The Membership Life Cycle schedule removed {item.user.name} from the group "
        f"{item.group.name}.",
        _details(item, run),
    )
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {item.user_id})


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


def _note_missed_reminder(run: Run, item) -> None:
    if missed_reminder(run, _days_before(run), item.removal_date, item.created, item.reminded_for):
        run.skip(
            f"Reminder to {_member_name(item)} before leaving {item.group.name} on "
            f"{item.removal_date} was not sent: the schedule did not run in the reminder period."
        )
        run.counts["skipped"] += 1


# --- Attestation ------------------------------------------------------------------------------


@transaction.atomic
def remind_attestation(run: Run, pk: int) -> None:
    condition = Q(state=State.SCHEDULED) & ~Q(reminded_for=F("remove_on"))
    mark = claim(AR, pk, condition, AR_RELATED, reminded_for=F("remove_on"))
    if mark is None or not is_member(mark.group_id, mark.member_id):
        return
    run.counts["reminders"] += 1
    notice = _leaving_soon(run, mark.group, mark.member, mark.remove_on)
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {mark.member_id})


@transaction.atomic
def remove_attestation(run: Run, pk: int) -> None:
    mark = claim(AR, pk, Q(state=State.SCHEDULED), AR_RELATED, state=State.DONE)
    if mark is None:
        return
    if not is_member(mark.group_id, mark.member_id):
        run.counts["unchanged"] += 1
        _save_note(mark, "No longer a member on the removal date.")
        return
    _note_missed_reminder(run, mark)
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
    run.counts["messages"] += send_notice(run.store, run.settings, notice, {mark.member_id})


# --- Helpers ----------------------------------------------------------------------------------


def _leaving_soon(run: Run, group, member, removal) -> Notice:
    left = (removal - run.today).days
    return Notice(
        f"{member.name} will leave {group.name} on {removal}",
        f"{member.name} will be removed from the group {group.name} on {removal} "
        f"(in {left} day{'s' if left != 1 else ''}).",
        [("Group", group.name), ("Removal date", str(removal))],
    )


def _days_before(run: Run) -> int | None:
    return run.settings.membership_days_before() if run.settings else None


def _member_name(item) -> str:
    return item.user.name if isinstance(item, TM) else item.member.name


def _save_note(item, note: str) -> None:
    item.note = note
    item.save(update_fields=["note"])


def _ids(queryset) -> list[int]:
    """Due ids, in id order. Sorted here, not by the database: an ORDER BY id would tempt
    SQLite into walking the store's rows in id order instead of using the due-date index."""
    return sorted(queryset.order_by().values_list("pk", flat=True))
