"""The Outbox page's search and filters: subject or recipient, status, and a date range."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from core.list_filters import DateRangeForm, date_filter, search_filter

from .models import OutgoingMessage

Status = OutgoingMessage.Status
# "show" keeps its old values (pending, failed, all), so links and bookmarks still work.
GROUPS = {
    "pending": [Status.QUEUED, Status.HELD, Status.SENDING, Status.RETRYING],
    "failed": [Status.DEAD],
}
SHOW_CHOICES = [
    ("pending", "Pending"),
    ("failed", "Failed"),
    ("all", "All"),
    *[(value, label) for value, label in Status.choices if value != Status.DEAD],
]
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
        if value == "all":
            return rows
        return rows.filter(status__in=GROUPS.get(value, [value]))
