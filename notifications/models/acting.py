"""Each admin's decision about SMTP destinations for their own sign-in credentials.

The rules that read and write these decisions live in notifications/acting.py.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models


class ActingTrust(models.Model):
    """An admin's decision about one SMTP destination for their own sign-in credentials.

    Saved or confirmed: mail that admin triggers may authenticate there with their sign-in
    (over verified TLS only). Declined ("Not me"): their credentials never go there.
    """

    class Decision(models.TextChoices):
        SAVED = "saved", "Saved on the Notifications page"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Not me"

    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    destination = models.CharField(max_length=300)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "destination"], name="one_decision_per_server")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_decision_display()} {self.destination}"

    @property
    def trusted(self) -> bool:
        return self.decision != self.Decision.DECLINED
