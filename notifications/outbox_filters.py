"""The Outbox page's search and filters: subject or recipient, status, and a date range."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.list_filters import DateRangeForm, date_filter, search_filter

from .models import OutgoingMessage

Status = OutgoingMessage.Status
# "show" keeps its old values (pending, failed, all), so links and bookmarks still work.
GROUPS = {
    "pending": [Status.QUEUED, Status.HELD, Status.SENDING, Status.RETRYING],
    "failed": [Status.DEAD],
}
HIDDEN = {Status.DEAD, Status.DELETED}  # "Failed" is the dead rows; "Deleted" comes last
SHOW_CHOICES = [
    ("pending", "Pending"),
    ("failed", "Failed"),
    ("all", "All"),
    *[(value, label) for value, label in Status.choices if value not in HIDDEN],
]
SHOW_CHOICES.append(("deleted", "Deleted (can be restored)"))
DEFAULT_SHOW = "pending"


class OutboxFilter(django_filters.FilterSet):
    q = search_filter("Subject or recipient")
    show = django_filters.ChoiceFilter(
        label="Status", choices=SHOW_CHOICES, method="by_status", empty_label=None
    )
    since = date_filter("created", "gte", "Since")
    until = date_filter("created", "lte", "Until")

    class Meta:
        model = OutgoingMessage
        fields: list[str] = []
        form = DateRangeForm

    def __init__(self, data=None, *args, **kwargs) -> None:
        data = data.copy() if data is not None else None
        if data is not None and not data.get("show"):
            data["show"] = DEFAULT_SHOW
        super().__init__(data, *args, **kwargs)

    def search(self, rows: QuerySet, name: str, value: str) -> QuerySet:
        """Matches the subject or any To, CC or Bcc address (case-insensitive, in part)."""
        return rows.filter(
            Q(subject__icontains=value)
            | Q(to__icontains=value)
            | Q(cc__icontains=value)
            | Q(bcc__icontains=value)
        )

    def by_status(self, rows: QuerySet, name: str, value: str) -> QuerySet:
        """A status group; deleted rows only under "deleted", and only while restorable."""
        if value == "deleted":
            since = timezone.now() - timedelta(hours=settings.OUTBOX_RESTORE_HOURS)
            return rows.filter(status=Status.DELETED, deleted_at__gte=since)
        if value == "all":
            return rows.exclude(status=Status.DELETED)
        return rows.filter(status__in=GROUPS.get(value, [value]))
