"""The notifications app's models; Django registers them from this module.

Each model lives in a module of its own; this one imports them all by name, so the app's models
are registered whichever of them a caller imports first.
"""

from .acting import ActingTrust
from .lanes import SendLane
from .outbox import OutgoingMessage
from .refusals import RecipientRefusal
from .settings import (
    EXCHANGE_ONLINE_SCOPE,
    EXCHANGE_ONLINE_TOKEN_ENDPOINT,
    NotificationSettings,
    split_addresses,
)
from .templates import NOTICE_CHOICES, NOTICE_KINDS, EmailTemplate, find_override, validate_language

__all__ = [
    "NOTICE_CHOICES",
    "NOTICE_KINDS",
    "EXCHANGE_ONLINE_SCOPE",
    "EXCHANGE_ONLINE_TOKEN_ENDPOINT",
    "ActingTrust",
    "EmailTemplate",
    "NotificationSettings",
    "OutgoingMessage",
    "RecipientRefusal",
    "SendLane",
    "find_override",
    "split_addresses",
    "validate_language",
]
