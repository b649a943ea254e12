"""The "Advanced: sending limits" fields of the Notifications page.

A section of its own because its four fields share one shape (blank for no limit, else a whole
number from 1) and one kind of help text: the figure Exchange Online documents, so an admin
sending through it can copy the provider's limit without looking it up.
"""

from __future__ import annotations

from django import forms

LIMIT_FIELDS = (
    "max_connections",
    "max_messages_per_minute",
    "max_recipients_per_message",
    "max_recipients_per_day",
)
LIMIT_HELP = {
    "max_connections": "At most this many connections at once. Exchange Online allows 3.",
    "max_messages_per_minute": "Exchange Online allows 30 messages a minute per mailbox.",
    "max_recipients_per_message": "Larger notifications are sent in parts. Exchange Online: 500.",
    "max_recipients_per_day": "Mail beyond it waits for the next day (00:00 UTC). "
    "Exchange Online: 10,000.",
}


def limit_field(label: str, maximum: int) -> forms.IntegerField:
    """A sending limit: blank for none, else a whole number from 1."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=maximum,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": maximum, "placeholder": "No limit"}),
    )


class SendingLimitFields(forms.Form):
    """The four limits, mixed into the page's model form (their help texts go in its Meta)."""

    max_connections = limit_field("Concurrent connections", 100)
    max_messages_per_minute = limit_field("Messages per minute", 1_000_000)
    max_recipients_per_message = limit_field("Recipients per message", 100_000)
    max_recipients_per_day = limit_field("Recipients per day", 100_000_000)
