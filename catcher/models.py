"""Messages received by the local mail catcher, kept whole so the Mailbox can show any part."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from django.db import models

from identitystores.models import IdentityStore


class CaughtMessage(models.Model):
    """One message as the catcher received it: the SMTP envelope, the raw bytes, a few headers."""

    received = models.DateTimeField(auto_now_add=True, db_index=True)
    peer = models.CharField(max_length=100, blank=True)
    auth_login = models.CharField("signed in as", max_length=254, blank=True)
    envelope_from = models.CharField(max_length=254, blank=True)
    envelope_to = models.TextField(blank=True)
    raw = models.BinaryField()
    subject = models.CharField(max_length=500, blank=True)
    from_header = models.CharField(max_length=500, blank=True)
    to_header = models.TextField(blank=True)
    date = models.DateTimeField(null=True, blank=True)
    # The store whose sealed Message-ID the message carries (core.mail_origin); None
    # for anything else, which only superusers see.
    store = models.ForeignKey(
        IdentityStore, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_header}"

    @property
    def recipients(self) -> list[str]:
        return self.envelope_to.split("\n") if self.envelope_to else []

    def parsed(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(bytes(self.raw))
