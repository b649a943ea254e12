"""An Admin Center change named as the admin made it ("Removing Frank Solo from solo"): how a
connector that refused to write it back starts its message, LDAP and Entra ID alike."""

from __future__ import annotations

from dataclasses import dataclass

from .models import DirectoryObject, EventKind

_ROLES = {
    EventKind.OWNER_SET: "owner",
    EventKind.OWNER_ADDED: "owner",
    EventKind.OWNER_REMOVED: "owner",
    EventKind.MANAGER_SET: "manager",
    EventKind.MANAGER_ADDED: "manager",
    EventKind.MANAGER_REMOVED: "manager",
}


@dataclass(frozen=True)
class Change:
    """One Admin Center change, named as the admin made it ("Removing Frank Solo from solo")."""

    operation: str
    obj: DirectoryObject
    other: DirectoryObject | None

    @property
    def text(self) -> str:
        obj, other = self.obj.name, self.other.name if self.other else ""
        role = _ROLES.get(self.operation)
        if self.operation == EventKind.MEMBER_ADDED:
            return f"Adding {other} to {obj}"
        if self.operation == EventKind.MEMBER_REMOVED:
            return f"Removing {other} from {obj}"
        if self.operation in (EventKind.OWNER_SET, EventKind.MANAGER_SET):
            if self.other is None:
                return f"Clearing the primary {role} of {obj}"
            return f"Making {other} the primary {role} of {obj}"
        if self.operation in (EventKind.OWNER_ADDED, EventKind.MANAGER_ADDED):
            return f"Adding {other} as an additional {role} of {obj}"
        return f"Removing {other} as an additional {role} of {obj}"
