"""The Mailbox's search and filters: subject or recipient, the store that sent it, a date range.

The store choice lists only the stores the admin administers; another store's id is "not a
valid choice" and filters nothing.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from core.list_filters import DateRangeForm, StoreChoiceFilter, date_filter, search_filter
from identitystores.access import stores_for

from .models import CaughtMessage


class MailboxFilter(django_filters.FilterSet):
    q = search_filter("Subject or recipient")
    store = StoreChoiceFilter(label="Identity store", queryset=None, empty_label="Any")
    since = date_filter("received", "gte", "Since")
    until = date_filter("received", "lte", "Until")

    class Meta:
        model = CaughtMessage
        fields: list[str] = []
        form = DateRangeForm

    def __init__(self, data, queryset: QuerySet, user) -> None:
        super().__init__(data, queryset=queryset)
        self.filters["store"].queryset = stores_for(user).order_by("name")

    def search(self, rows: QuerySet, name: str, value: str) -> QuerySet:
        """Matches the subject, the To header or an envelope recipient (in part, any case)."""
        return rows.filter(
            Q(subject__icontains=value)
            | Q(to_header__icontains=value)
            | Q(envelope_to__icontains=value)
        )
