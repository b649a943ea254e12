"""Recipients a server refused while it accepted the message for the others.

aiosmtplib returns them from `sendmail` (SendResult.refused: address → "451 4.3.0 …"). The
message was delivered — to the others — so its row is "sent"; what becomes of each refused
recipient is written here, in the same transaction as the row's outcome:

- 5xx: a permanent RecipientRefusal, shown with the row; that recipient does not get it.
- 4xx: a temporary RecipientRefusal and a follow-up row for those recipients alone, on the
  retry schedule with attempts of its own. The follow-up keeps the message's headers and
  Message-ID and only its envelope differs, so nobody who got the message gets it again.

A follow-up that is refused again for some of its recipients passes its attempt count on, so a
recipient is never tried more than MAIL_MAX_ATTEMPTS times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings

from ..models import OutgoingMessage, RecipientRefusal
from .send import Outcome

Status = OutgoingMessage.Status
REPLY_LIMIT = 500


def partial(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Outcomes of messages the server accepted with some recipients refused."""
    return [o for o in outcomes if o.error is None and o.result is not None and o.result.refused]


def temporary(reply: str) -> bool:
    return reply.startswith("4")


def describe(refused: dict[str, str]) -> str:
    """The row's last error: each refused recipient, and which of them are tried again."""
    parts = [
        f"{addr}: {reply}" + (" (retried on its own)" if temporary(reply) else "")
        for addr, reply in refused.items()
    ]
    return "Refused recipients: " + "; ".join(parts)


def record(
    outcomes: Sequence[Outcome], claimed_at: datetime, retry_at: Callable[[int], datetime]
) -> list[OutgoingMessage]:
    """Write the refusals and follow-ups of rows this run still holds; returns the follow-ups.

    Runs inside the transaction that records the rows, before their credentials are wiped: the
    follow-up carries them on, read (and locked) from the rows themselves.
    """
    held = dict(
        OutgoingMessage.objects.select_for_update()
        .filter(pk__in=[o.row.pk for o in outcomes], status=Status.SENDING, claimed_at=claimed_at)
        .values_list("pk", "acting_credentials")
    )
    ours = [o for o in outcomes if o.row.pk in held]
    RecipientRefusal.objects.bulk_create(refusal for o in ours for refusal in _refusals(o.row, o))
    follow_ups = [
        follow_up(o.row, addresses, held[o.row.pk], retry_at)
        for o in ours
        if (addresses := _retried(o.row, o.result.refused))
    ]
    return OutgoingMessage.objects.bulk_create(follow_ups)


def _refusals(row: OutgoingMessage, outcome: Outcome) -> list[RecipientRefusal]:
    retried = set(_retried(row, outcome.result.refused))
    return [
        RecipientRefusal(
            message_id=row.pk,
            address=address,
            reply=reply[:REPLY_LIMIT],
            permanent=address not in retried,
            attempt=_attempts(row),
        )
        for address, reply in outcome.result.refused.items()
    ]


def _retried(row: OutgoingMessage, refused: dict[str, str]) -> list[str]:
    """The addresses refused for now that still have an attempt left."""
    if _attempts(row) >= settings.MAIL_MAX_ATTEMPTS:
        return []
    return [address for address, reply in refused.items() if temporary(reply)]


def _attempts(row: OutgoingMessage) -> int:
    """Attempts the refused recipients have had: one, or their follow-up's count so far."""
    return row.attempts if row.follow_up_of_id else 1


def follow_up(
    row: OutgoingMessage,
    addresses: list[str],
    credentials: str,
    retry_at: Callable[[int], datetime],
) -> OutgoingMessage:
    """An unsaved copy of `row` for `addresses` only, due on the retry schedule."""
    attempts = _attempts(row)
    refused = "; ".join(addresses)
    return OutgoingMessage(
        store_id=row.store_id,
        kind=row.kind,
        status=Status.RETRYING,
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        bcc=row.bcc,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        message_id=row.message_id,
        attempts=attempts,
        next_attempt_at=retry_at(attempts),
        last_error=f"The server refused {refused} for now; the others received the message."[
            :REPLY_LIMIT
        ],
        acting_credentials=credentials,
        triggered_by_id=row.triggered_by_id,
        destination=row.destination,
        follow_up_of_id=row.follow_up_of_id or row.pk,
        envelope=refused,
    )
