"""A write-back the directory refused, said to the admin: which change, why in plain words for
the common refusals, then the directory's own answer unchanged (admins paste it into tickets)."""

from __future__ import annotations

from directory.change_text import Change
from directory.models import EventKind

CONSTRAINT_VIOLATION = 19
NO_SUCH_OBJECT = 32
INSUFFICIENT_ACCESS_RIGHTS = 50
OBJECT_CLASS_VIOLATION = 65


class Refused(Exception):
    """The directory answered the modify of `dn` (one `attribute`) with an error result.
    `target_missing`: `dn` itself could not be read afterwards (for noSuchObject, which names
    either the entry changed or a DN in the new values)."""

    def __init__(
        self, result: dict, dn: str, attribute: str, *, target_missing: bool = False
    ) -> None:
        super().__init__(directory_answer(result))
        self.result = dict(result)
        self.dn = dn
        self.attribute = attribute
        self.target_missing = target_missing


def directory_answer(result: dict) -> str:
    """The directory's own words: `objectClassViolation (result 65): object class …`."""
    text = (result.get("message") or "").strip()
    answer = f"{result.get('description') or 'error'} (result {result.get('result')})"
    return f"{answer}: {text}" if text else answer


def message(change: Change, refused: Refused, service_account: str) -> str:
    """`<change> was refused: <plain words>. The directory said: <its answer>`."""
    plain = _plain_words(change, refused, service_account)
    return f"{change.text} was refused: {plain}. The directory said: {refused}"


def _plain_words(change: Change, refused: Refused, service_account: str) -> str:
    code = refused.result.get("result")
    kind = change.obj.get_kind_display().lower()
    if code == OBJECT_CLASS_VIOLATION and change.operation == EventKind.MEMBER_REMOVED:
        # groupOfNames and groupOfUniqueNames must hold at least one value of their member
        # attribute: removing the last one is the commonest refusal there is.
        return (
            "the directory keeps at least one member in this group; add another member before "
            f"removing {change.other.name}"
        )
    if code == INSUFFICIENT_ACCESS_RIGHTS:
        return (
            f"the directory's service account ({service_account}) may not change this {kind}; "
            "ask your directory administrator to grant it write access to "
            f"{refused.attribute}"
        )
    if code == NO_SUCH_OBJECT:
        missing = (
            f"{change.obj.name} is no longer at {refused.dn} in the directory"
            if refused.target_missing
            else "an entry this change names is no longer in the directory"
        )
        return (
            f"{missing} (deleted or moved since the last sync); the next sync brings the Admin "
            "Center up to date"
        )
    if code == CONSTRAINT_VIOLATION:
        return (
            f"the directory's constraints on {refused.attribute} do not allow the new value "
            "(for example, the attribute holds only one value)"
        )
    return "the directory does not accept it"
