"""Graph's users and groups as our directory objects: which properties are read, and what they
become. Relationships arrive as `members@delta`, `owners@delta` and `manager@delta`
annotations (ids only); a removed relationship or object carries `@removed`."""

from __future__ import annotations

from dataclasses import dataclass, field

from directory.models import DirectoryObject

SOURCE = "entra"
USER_SELECT = "id,displayName,mail,userPrincipalName,accountEnabled,preferredLanguage,manager"
GROUP_SELECT = "id,displayName,mail,mailEnabled,visibility,members,owners"
USERS_DELTA = f"/users/delta?$select={USER_SELECT}"
GROUPS_DELTA = f"/groups/delta?$select={GROUP_SELECT}"
Kind = DirectoryObject.Kind
SecurityType = DirectoryObject.SecurityType


def removed(entry: dict) -> bool:
    return "@removed" in entry


def user_values(entry: dict) -> dict:
    """A user's attributes, from the properties the entry carries (a delta entry may carry
    only what changed). The address is `mail` (the mailbox); a user without one is kept but
    never mailed (its userPrincipalName is a sign-in name, not necessarily a mailbox). A
    disabled account (`accountEnabled` false) is mailed nothing."""
    values = {}
    name = entry.get("displayName") or entry.get("userPrincipalName")
    if name:
        values["name"] = name[:256]
    if "mail" in entry:
        values["email"] = (entry["mail"] or "")[:254]
    if "accountEnabled" in entry:
        values["mail_enabled"] = entry["accountEnabled"] is not False
    language = (entry.get("preferredLanguage") or "").split("-")[0].lower()
    if language:
        values["language"] = language[:16]
    return values


def group_values(entry: dict) -> dict:
    """A group's attributes, from the properties the entry carries. Public visibility makes it
    a public group (its owners are told of membership changes); Private and HiddenMembership
    make it private. Its address counts only while it is mail-enabled."""
    values = {}
    if entry.get("displayName"):
        values["name"] = entry["displayName"][:256]
    if "mail" in entry or "mailEnabled" in entry:
        values["email"] = (entry.get("mail") or "")[:254] if entry.get("mailEnabled") else ""
    if "visibility" in entry:
        public = (entry["visibility"] or "").lower() == "public"
        values["security_type"] = SecurityType.PUBLIC if public else SecurityType.PRIVATE
    return values


@dataclass
class Links:
    """One relationship of one object in a round: ids added and ids removed, in Graph's order.
    `seen` is False when the round said nothing about it (unchanged)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seen: bool = False

    def take(self, annotation: list[dict] | None) -> None:
        if annotation is None:
            return
        self.seen = True
        for ref in annotation:
            (self.removed if removed(ref) else self.added).append(ref["id"])


@dataclass
class Entry:
    """Everything a round said about one object (a group may span several pages)."""

    id: str
    kind: str
    values: dict = field(default_factory=dict)
    gone: bool = False
    members: Links = field(default_factory=Links)
    owners: Links = field(default_factory=Links)
    manager: Links = field(default_factory=Links)

    def take(self, raw: dict) -> None:
        if removed(raw):
            self.gone = True
            return
        self.gone = False
        if self.kind == Kind.USER:
            self.values |= user_values(raw)
            self.manager.take(raw.get("manager@delta"))
        else:
            self.values |= group_values(raw)
            self.members.take(raw.get("members@delta"))
            self.owners.take(raw.get("owners@delta"))


def merge(entries: dict[str, Entry], kind: str, page: list[dict]) -> None:
    """Fold one page of a delta round into `entries` (by object id)."""
    for raw in page:
        entry = entries.get(raw["id"])
        if entry is None:
            entry = entries[raw["id"]] = Entry(raw["id"], kind)
        entry.take(raw)
