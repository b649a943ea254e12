"""Claiming a due row: a conditional UPDATE that only one run can win."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Model, Q
from django.utils import timezone

from directory.models import GroupMembership

from . import days
from .runs import Run


def claim(model: type[Model], pk: int, condition: Q, select: tuple[str, ...], **changes):
    """Apply `changes` to row `pk` if it still meets `condition`; the row, or None if another
    run got there first. Call inside the transaction that does the work."""
    changes.setdefault("updated", timezone.now())
    if not model.objects.filter(condition, pk=pk).update(**changes):
        return None
    return model.objects.select_related(*select).get(pk=pk)


def is_member(group_id: int, member_id: int) -> bool:
    return GroupMembership.objects.filter(group_id=group_id, member_id=member_id).exists()


def missed_reminder(
    run: Run, days_before: int | None, removal: date, created: datetime, reminded_for: date | None
) -> bool:
    """True when an "X days before" reminder had a window — from X days before the removal (or
    from the item's creation, if later) to the removal — and no run sent it in that window."""
    if not days_before or reminded_for == removal:
        return False
    window_opens = max(removal - timedelta(days=days_before), days.today(run.store, created))
    return window_opens < removal
