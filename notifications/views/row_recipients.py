"""What became of each recipient of an outbox row, for wherever a row's details are shown.

`recipient_results(row)` is the whole context of `notifications/_row_recipients.html`: recipients
the server refused for good, recipients it refused for now with the follow-up that retries them,
and, on a follow-up, which message it continues and whom it goes to. One call per row; the
Outbox list prefetches what it reads (`with_recipient_results`), so a page costs two queries
more, not two per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from ..models import OutgoingMessage, RecipientRefusal, split_addresses

FOLLOW_UP_FIELDS = ["pk", "status", "attempts", "next_attempt_at", "envelope", "follow_up_of"]


@dataclass(frozen=True)
class Retried:
    """A recipient refused for now, and the latest follow-up row that tries it again."""

    refusal: RecipientRefusal
    follow_up: OutgoingMessage | None


def with_recipient_results(rows: QuerySet[OutgoingMessage]) -> QuerySet[OutgoingMessage]:
    """`rows` with what `recipient_results` reads fetched in two queries for the whole page."""
    follow_ups = OutgoingMessage.objects.only(*FOLLOW_UP_FIELDS).order_by("pk")
    return rows.prefetch_related("refusals", Prefetch("follow_ups", queryset=follow_ups))


def recipient_results(row: OutgoingMessage) -> dict:
    """The context of `notifications/_row_recipients.html` for `row`."""
    refusals = list(row.refusals.all())
    follow_ups = list(row.follow_ups.all())
    return {
        "refused": [r for r in refusals if r.permanent],
        "retried": _retried([r for r in refusals if not r.permanent], follow_ups),
        "follow_up_of": row.follow_up_of_id,
        "only_to": split_addresses(row.envelope),
    }


def _retried(refusals: list[RecipientRefusal], follow_ups: list[OutgoingMessage]) -> list:
    """Each temporary refusal next to the latest follow-up whose envelope names its address."""
    by_address = {a: f for f in follow_ups for a in split_addresses(f.envelope)}
    return [Retried(r, by_address.get(r.address)) for r in refusals]
