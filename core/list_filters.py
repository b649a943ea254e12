"""What the searchable lists (Outbox, Mailbox, History) share: a date range checked at the
field, a bounded search box, a store choice that cannot overflow, and Django's paginator.

Bad filter input never reaches the database: an invalid field is reported next to itself by the
FilterSet's form and left out of the filtering, so the list still shows.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from .formfields import ModelChoiceField

SEARCH_MAX_LENGTH = 200


class DateRangeForm(forms.Form):
    """A filter form whose "since" day may not come after its "until" day."""

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "Until must be on or after Since.")
            data.pop("until", None)
        return data


class StoreChoiceFilter(django_filters.ModelChoiceFilter):
    """A store choice whose ids beyond 64 bits are "not a valid choice", never a database error."""

    field_class = ModelChoiceField


def search_filter(label: str = "Search") -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="search", label=label, max_length=SEARCH_MAX_LENGTH, strip=True
    )


def date_filter(field: str, lookup: str, label: str) -> django_filters.DateFilter:
    """A day bound on `field`, entered as a date (type=date in the browser)."""
    widget = forms.DateInput(attrs={"type": "date"})
    return django_filters.DateFilter(
        field_name=field, lookup_expr=f"date__{lookup}", label=label, widget=widget
    )


def page_of(request: HttpRequest, rows: QuerySet, size: int) -> Page:
    """The requested page (the last for a number past the end, the first for a non-number)."""
    return Paginator(rows, size).get_page(request.GET.get("page"))
