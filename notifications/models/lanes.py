"""A store's send lane: what every worker on every host shares about sending for that store.

One row per store that has sending limits or has met one (a store that never did has no row,
and sends without any lane bookkeeping). Workers change it only inside a transaction that first
updates the row (notifications/delivery/budget.py), so two workers never hand out the same
connection, the same minute's messages or the same day's recipients.
"""

from __future__ import annotations

from django.db import models

from identitystores.models import IdentityStore


class SendLane(models.Model):
    """Connections in use, recent message starts, the day's recipients, and what was learned."""

    store = models.OneToOneField(
        IdentityStore, on_delete=models.CASCADE, primary_key=True, related_name="send_lane"
    )
    # Bumped by the first statement of every change: it takes the row's write lock.
    version = models.PositiveIntegerField(default=0)
    # Connections handed out: [[grant token, free-at epoch s, lease-until epoch s], …].
    connections = models.JSONField(default=list)
    # Planned message start times (epoch s) within the last minute, oldest first.
    recent = models.JSONField(default=list)
    next_slot_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    # Limits learned from the server's replies; blank: none learned (the budget, if any, applies).
    learned_connections = models.PositiveSmallIntegerField(null=True, blank=True)
    learned_per_minute = models.PositiveIntegerField(null=True, blank=True)
    learned_per_message = models.PositiveIntegerField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)  # last decrease or increase
    day_start = models.DateTimeField(null=True, blank=True)
    day_recipients = models.PositiveIntegerField(default=0)
    deferred_until = models.DateTimeField(null=True, blank=True)
    deferred_reason = models.CharField(max_length=200, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    held_reason = models.CharField(max_length=500, blank=True)
    held_reply = models.CharField(max_length=100, blank=True)
    throttle_replies = models.PositiveIntegerField(default=0)
    last_throttle = models.CharField(max_length=200, blank=True)

    # Failover to the second SMTP server (delivery/failover.py): since when the first has
    # failed without a success, since when mail goes to the second, and when to try the first.
    first_failing_since = models.DateTimeField(null=True, blank=True)
    first_failure = models.CharField(max_length=300, blank=True)
    failover_since = models.DateTimeField(null=True, blank=True)
    failover_host = models.CharField(max_length=253, blank=True)
    probe_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Send lane of store {self.store_id}"
