"""The sample event that email templates are checked and previewed with.

An override is rendered with it when saved (EmailTemplate.clean) and on the editor's Preview, so
it lives in the templating package, which imports nothing from notifications: only the directory's
event kinds and routes.
"""

from __future__ import annotations

from directory.models import EventKind, Route


def sample_context() -> dict:
    """Sample data for the template preview and for checking an override on save."""
    return {
        "store": {"name": "Contoso AD"},
        "event": {
            "kind": EventKind.MEMBER_ADDED,
            "action": EventKind.MEMBER_ADDED.label,
            "route": Route.ADMIN_CENTER.label,
            "when": "2026-01-15 09:30 UTC",
        },
        "object": {"name": "Sales Team", "email": "sales@contoso.test", "kind": "Group"},
        "member": {"name": "Dana Scott"},
        "requester": {"name": "Alice Admin", "email": "alice@contoso.test"},
        "recipient": {"name": "Dana Scott", "email": "dana@contoso.test", "language": "en"},
        "changes": [{"field": "description", "old": "Sales", "new": "Sales (EMEA)"}],
    }
