"""What a mail server answered about single recipients of a message it otherwise accepted."""

from __future__ import annotations

from django.db import models

from .outbox import OutgoingMessage


class RecipientRefusal(models.Model):
    """One recipient a server refused at RCPT while it took the message for the others.

    Permanent (5xx): that recipient does not get the message; the row's page says so. Temporary
    (4xx): a follow-up row (OutgoingMessage.follow_up_of) retries that recipient alone.
    """

    message = models.ForeignKey(OutgoingMessage, on_delete=models.CASCADE, related_name="refusals")
    address = models.CharField(max_length=254)
    reply = models.CharField(max_length=500)
    permanent = models.BooleanField()
    attempt = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.address}: {self.reply}"
