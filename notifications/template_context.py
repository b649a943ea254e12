"""What an email template may read: plain values copied from the event and the recipient.

Templates are written by admins, so they must not reach models or secrets: every value here is a
string, number or list of them, built once per event (or recipient) and shared by every message
rendered from it. The Templates pages build the same context for Preview.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.display import as_text
from directory.models import DirectoryEvent, EventKind, Route

from .expansion import Recipient


def event_context(event: DirectoryEvent) -> dict:
    """Plain values only: templates written by admins must not reach models or secrets."""
    store = event.store
    when = event.created or datetime.now(UTC)
    actor = event.actor
    requester = (
        {"name": actor.get_full_name() or actor.get_username(), "email": actor.email}
        if actor
        else {"name": event.actor_name or Route(event.route).label, "email": ""}
    )
    obj = event.object
    return {
        "store": {"name": store.name},
        "event": {
            "kind": event.kind,
            "action": EventKind(event.kind).label,
            "route": Route(event.route).label,
            "when": when.astimezone(ZoneInfo(store.time_zone)).strftime("%Y-%m-%d %H:%M %Z"),
        },
        "object": {
            "name": event.object_name,
            "email": obj.email if obj else "",
            "kind": obj.get_kind_display() if obj else "",
        },
        "member": {"name": event.member_name} if event.member_name else None,
        "requester": requester,
        "changes": [
            {"field": name, "old": as_text(old), "new": as_text(new)}
            for name, (old, new) in event.changes.items()
        ],
    }


def recipient_context(recipient: Recipient | None) -> dict:
    if recipient is None:
        return {"name": "", "email": "", "language": ""}
    return {"name": recipient.name, "email": recipient.address, "language": recipient.language}
