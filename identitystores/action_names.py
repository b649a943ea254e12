"""History's action names as an admin reads them, not as the code records them.

Actions are recorded as short codes ("directory.member_added", "lifecycle.run_now") or as plain
words ("store edited"). Known codes have a name here; any other action reads as its words with a
capital first letter, so a new action is never shown as a bare code.
"""

from __future__ import annotations

NAMES = {
    "directory.created": "Directory object created",
    "directory.updated": "Directory attributes changed",
    "directory.deleted": "Directory object deleted",
    "directory.imported": "Directory imported",
    "directory.member_added": "Member added",
    "directory.member_removed": "Member removed",
    "directory.owner_set": "Primary owner changed",
    "directory.owner_added": "Additional owner added",
    "directory.owner_removed": "Additional owner removed",
    "directory.manager_set": "Primary manager changed",
    "directory.manager_added": "Additional manager added",
    "directory.manager_removed": "Additional manager removed",
    "lifecycle.run_now": "Life-cycle job run now",
    "lifecycle.schedule": "Schedule changed",
    "lifecycle.skipped": "Scheduled run skipped",
    "lifecycle.password_group": "Password expiry group changed",
    "lifecycle.temporary_membership": "Temporary membership added",
    "lifecycle.temporary_managed_by": "Temporary owner or manager added",
    "outbox: send now": "Outbox: sent again",
    "outbox: delete": "Outbox: messages deleted",
    "outbox: restore": "Outbox: messages restored",
}


def readable(action: str) -> str:
    """The name an admin reads for `action`."""
    if action in NAMES:
        return NAMES[action]
    words = action.split(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else action
