"""Outbox rows in a given state and age, for the Outbox page and broker-fault tests."""

from datetime import timedelta

from django.utils import timezone

from notifications.models import OutgoingMessage
from notifications.outbox import enqueue, new_message

Status = OutgoingMessage.Status


def make_row(store_settings, subject, *, status=Status.QUEUED, minutes_ago=0, **fields):
    [row] = enqueue(
        [
            new_message(
                store_settings.store,
                store_settings,
                subject=subject,
                body_text="b",
                to=["ann@contoso.test"],
                cc=["audit@contoso.test"],
            )
        ]
    )
    OutgoingMessage.objects.filter(pk=row.pk).update(
        status=status, created=timezone.now() - timedelta(minutes=minutes_ago), **fields
    )
    return row.pk
