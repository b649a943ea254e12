"""The directory's models: objects, the links between them, and the events that record changes."""

from .events import MEMBERSHIP_KINDS, DirectoryEvent, EventKind, Route
from .links import AdditionalManager, AdditionalOwner, GroupMembership
from .objects import DirectoryContact, DirectoryGroup, DirectoryObject, DirectoryUser

__all__ = [
    "MEMBERSHIP_KINDS",
    "AdditionalManager",
    "AdditionalOwner",
    "DirectoryContact",
    "DirectoryEvent",
    "DirectoryGroup",
    "DirectoryObject",
    "DirectoryUser",
    "EventKind",
    "GroupMembership",
    "Route",
]
