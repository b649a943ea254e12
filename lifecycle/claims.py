"""Finding and claiming due rows: a conditional UPDATE that only one run can win."""

from __future__ import annotations

from datetime import date

from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from directory.models import GroupMembership

from . import prefetch
from .models import State
from .runs import Handler, Phase


def claim(model: type[Model], pk: int, condition: Q, select: tuple[str, ...], **changes):
    """Apply `changes` to row `pk` if it still meets `condition`; the row, or None if another
    run got there first. Call inside the transaction that does the work."""
    changes.setdefault("updated", timezone.now())
    if not model.objects.filter(condition, pk=pk).update(**changes):
        return None
    item = prefetch.row(model, pk, select)
    for name, value in changes.items():
        setattr(item, name, getattr(item, value.name) if isinstance(value, F) else value)
    return item


def is_member(group_id: int, member_id: int) -> bool:
    return GroupMembership.objects.filter(group_id=group_id, member_id=member_id).exists()


def due_ids(queryset: QuerySet) -> list[int]:
    """Due ids, in id order. Sorted here, not by the database: an ORDER BY id would tempt
    SQLite into walking the store's rows in id order instead of using the due-date index."""
    return sorted(queryset.order_by().values_list("pk", flat=True))


def save_note(item: Model, note: str, *fields: str) -> None:
    """Record on a claimed row why it changed nothing (shown in its list), with `fields` the
    caller set too."""
    item.note = note
    item.save(update_fields=["note", *fields])


def start_phases(items: QuerySet, today: date, skip: Handler, start: Handler) -> list[Phase]:
    """A windowed job's first two phases: windows that passed entirely between two runs, then
    starts due. Starts are read by start date only (the due-start index); those whose window has
    passed are the skipped ones of the first phase, which `start` does not claim."""
    scheduled = items.filter(state=State.SCHEDULED)
    passed = due_ids(scheduled.filter(end_date__lte=today))
    starts = sorted(set(due_ids(scheduled.filter(start_date__lte=today))) - set(passed))
    return [(passed, skip), (starts, start)]
