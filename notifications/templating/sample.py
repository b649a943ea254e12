"""The sample event that email templates are checked and previewed with.

An override is rendered with it when saved (EmailTemplate.clean) and on the editor's Preview, so
it lives in the templating package, which imports nothing from notifications: only the directory's
event kinds and routes.
"""

from __future__ import annotations

from directory.models import EventKind, Route


def sample_context(kind: str = "") -> dict:
    """Sample data for the template preview and for checking an override on save: of the notice
    `kind` (see NOTICE_SAMPLES), or of a directory change for any other kind."""
    if kind in NOTICE_SAMPLES:
        return {"store": {"name": "Contoso AD"}, "recipient": _RECIPIENT, **NOTICE_SAMPLES[kind]}
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


_RECIPIENT = {"name": "Dana Scott", "email": "dana@contoso.test", "language": "en"}
# The notices that are not about one directory change, by template kind: what their templates
# are given besides `store` and `recipient`.
NOTICE_SAMPLES: dict[str, dict] = {
    "lifecycle-notice": {
        "notice": {
            "subject": "Dana Scott was added to Sales Team",
            "headline": "The Membership Life Cycle schedule added Dana Scott to the group "
            "Sales Team.",
            "details": [
                {"label": "Group", "value": "Sales Team"},
                {"label": "Period", "value": "2026-01-15 to 2026-02-14"},
            ],
        },
    },
    "password-warning": {
        "expires_on": "2026-01-20",
        "days_left": 5,
        "portal_url": "https://portal.contoso.test/",
    },
    "password-digest": {
        "warned": [
            {"name": "Dana Scott", "email": "dana@contoso.test", "expires_on": "2026-01-20",
             "days_left": 5},
            {"name": "Eli Moss", "email": "eli@contoso.test", "expires_on": "2026-01-16",
             "days_left": 1},
        ],
        "count": 2,
        "part": 0,
        "parts": 1,
        "portal_url": "https://portal.contoso.test/",
    },
    "test-message": {},
}  # fmt: skip
