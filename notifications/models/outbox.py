"""The outbox: one row per message, written with the change that caused it, sent by a worker."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from core.fields import EncryptedTextField
from identitystores.models import IdentityStore


class OutgoingMessage(models.Model):
    """One message in the outbox. Written with the change that caused it; a worker sends it.

    Life: queued → sending → sent, or → retrying → sending … → dead after the last attempt.
    A row carrying an admin's sign-in credentials for a server that admin has not confirmed is
    held (notifications/acting.py) until they confirm it (→ queued) or answer "Not me" (→ dead).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        HELD = "held", "Waiting for confirmation"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        SENT = "sent", "Sent"
        DEAD = "dead", "Failed"
        # Deleted on the Outbox page: restorable for OUTBOX_RESTORE_HOURS, then purged.
        DELETED = "deleted", "Deleted"

    store = models.ForeignKey(IdentityStore, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=32, default="change")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=254)
    to = models.TextField(blank=True)
    cc = models.TextField(blank=True)
    bcc = models.TextField(blank=True)
    subject = models.CharField(max_length=500)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Until when the claiming worker holds a "sending" row; extended while its batch still sends.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    server_reply = models.CharField(max_length=500, blank=True)
    # "host:port" of the server that accepted the message (the second one after a failover).
    sent_via = models.CharField(max_length=260, blank=True)
    # The acting admin's sign-in credentials when the store uses no SMTP user authentication;
    # wiped as soon as the message is sent or dead.
    acting_credentials = EncryptedTextField()
    triggered_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The SMTP destination (acting.Destination key) the row was queued for: acting credentials
    # go only there, so a store repointed after queueing holds the row instead.
    destination = models.CharField(max_length=300, blank=True)
    # A follow-up goes only to the recipients its message's server refused for now (4xx at RCPT),
    # with the message's own headers and Message-ID: those who got the message never get it again.
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    envelope = models.TextField(blank=True)  # "; "-separated; empty: every To, CC and Bcc
    # When the row was deleted on the Outbox page, and its status then (what Restore puts back).
    deleted_at = models.DateTimeField(null=True, blank=True)
    status_before_delete = models.CharField(max_length=10, blank=True)
    # Why the recipients were chosen, compact (notifications/provenance.py): recipients per rule
    # code and the most common (rule, path of group ids) with their counts; "more" counts the rest.
    why = models.JSONField(default=dict, blank=True)
    # What a notice was rendered from (plain values, as its template saw them): the template
    # editor previews a draft with a recent real notice of the store. Empty for changes, whose
    # events are kept anyway.
    context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["store", "status", "created"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    @property
    def has_acting_credentials(self) -> bool:
        """Whether the row carries an admin's sign-in (shown as a fact, never as a value)."""
        return bool(self.acting_credentials)

    @property
    def in_progress(self) -> bool:
        return self.status == self.Status.SENDING
