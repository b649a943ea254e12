"""The History page's list: one entry per change (who, when, what, each field old → new),
searchable by who, what and date, paged by changes.

Paging counts changes, not rows: a page asks for its change keys first (one grouped query) and
then for those changes' rows (one query), so a page costs the same however long the history is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import django_filters
from django.db.models import Max, QuerySet
from django.http import HttpRequest

from core.list_filters import DateRangeForm, date_filter, page_of

from .action_names import readable
from .models import AuditEntry, IdentityStore

CHANGES_PER_PAGE = 25


class HistoryFilter(django_filters.FilterSet):
    who = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="icontains", label="Who", max_length=150
    )
    what = django_filters.ChoiceFilter(field_name="action", label="What", empty_label="Any")
    since = date_filter("created", "gte", "Since")
    until = date_filter("created", "lte", "Until")

    class Meta:
        model = AuditEntry
        fields: list[str] = []
        form = DateRangeForm

    def __init__(self, data, store: IdentityStore) -> None:
        super().__init__(data, queryset=store.audit_entries.all())
        actions = store.audit_entries.order_by().values_list("action", flat=True).distinct()
        choices = sorted(((a, readable(a)) for a in actions), key=lambda choice: choice[1])
        self.filters["what"].extra["choices"] = choices


@dataclass
class Change:
    when: datetime
    who: str
    action: str
    rows: list[AuditEntry] = field(default_factory=list)

    @property
    def fields(self) -> list[AuditEntry]:
        """The rows that name a field (an action without details has none)."""
        return [row for row in self.rows if row.field or row.old_value or row.new_value]


def changes_page(request: HttpRequest, store: IdentityStore):
    """(filter, page) where the page's object_list holds Change objects, newest first."""
    found = HistoryFilter(request.GET or None, store)
    rows = found.qs if found.is_bound else store.audit_entries.all()
    keys = rows.order_by().values("change").annotate(at=Max("created")).order_by("-at", "change")
    page = page_of(request, keys, CHANGES_PER_PAGE)
    page.object_list = group(rows, [key["change"] for key in page.object_list])
    return found, page


def group(rows: QuerySet, keys: list) -> list[Change]:
    """The rows of the changes `keys`, grouped, in the order of `keys`."""
    changes: dict = {}
    for row in rows.filter(change__in=keys).order_by("created", "id"):
        if row.change not in changes:
            changes[row.change] = Change(row.created, row.actor_name, readable(row.action))
        changes[row.change].rows.append(row)
    return [changes[key] for key in keys if key in changes]
