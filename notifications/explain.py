"""Why did (or didn't) this person get the mail? The resolver that sends, run with a Trace.

`explain_event` resolves an event exactly as `notify` does (`recipients.resolve`, then
`Resolution.bcc`), with a `Trace` that collects whom each rule left out and why. Nothing here
decides who is notified: it only puts the resolver's own (rule, path) and reasons into words —
rule labels from the Notifications page, group names along the path. `row_why` does the same for
the compact record an outbox row keeps (`provenance`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from directory.models import DirectoryEvent, DirectoryObject

from .also_notify import ALSO_NOTIFY
from .expansion import Recipient
from .models import NotificationSettings, OutgoingMessage
from .recipient_trace import LeftOut, Trace, Why
from .recipients import resolve

SHOWN = 200  # recipients and left-out objects listed on the page; the rest are counted

RULES = {
    "to": "To: of the store",
    "cc": "CC: of the store",
    "actor": "Logged in users for their actions",
    "modified": "Object being modified",
    "owners": "Group owner(s) for their groups",
    "managers": "Manager(s) for their direct reports",
    "added": "Newly added group members on addition",
    "removed": "Removed group member on removal",
    "public_owners": "Public group owner for membership",
    "named": "Named by the life-cycle notice",
    "password-expiry": "Password-expiry warning",
}
REASONS = {
    "dont_notify": "marked Don't notify as an additional owner",
    "not_public": "the group is not public",
    "not_mail_enabled": "not mail-enabled",
    "no_address": "no email address",
    "already": "already a recipient",
    "other_store": "belongs to another identity store",
    "no_actor": "no signed-in user made this change",
}


@dataclass
class Line:
    """One person (or object) on the page: who, the rule and path, and for the left out why."""

    name: str
    address: str
    rule: str
    path: list[str]
    reason: str = ""
    first: str = ""  # for "already a recipient": the rule (and path) that made them one


@dataclass
class Explanation:
    """Who receives the mail of one event or notice, who was left out, and the boxes read."""

    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    recipients: list[Line] = field(default_factory=list)
    recipient_count: int = 0
    addresses: set[str] = field(default_factory=set)  # every Bcc address, for comparisons
    left_out: list[Line] = field(default_factory=list)
    left_out_more: int = 0
    boxes: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def nobody(self) -> bool:
        return not (self.to or self.cc or self.recipient_count)


def explain_event(
    event: DirectoryEvent, settings: NotificationSettings | None, limit: int = SHOWN
) -> Explanation:
    """Resolve `event` as `notify` would, listing at most `limit` recipients (all are counted)."""
    if settings is None:
        return Explanation(notes=["This identity store has no notification settings: no mail."])
    trace = Trace(limit=limit)
    resolution = resolve(event, settings, trace)
    found = Explanation(to=resolution.to, cc=resolution.cc)
    found.boxes = [(_box_label(settings, box), getattr(settings, box)) for box in ALSO_NOTIFY]
    collect(found, resolution.bcc(details=True), trace, limit)
    return found


def collect(
    found: Explanation, recipients: Iterable[Recipient], trace: Trace, limit: int = SHOWN
) -> Explanation:
    """Read the resolver's recipients into `found`, then describe them and the left out."""
    shown: list[Recipient] = []
    for recipient in recipients:
        found.recipient_count += 1
        found.addresses.add(recipient.address)
        if len(shown) < limit:
            shown.append(recipient)
    describe(found, shown, trace)
    return found


def describe(found: Explanation, shown: list[Recipient], trace: Trace) -> None:
    """Words for the resolver's codes: rule labels, group names, reasons."""
    names = _names(_ids_in([r.why for r in shown], trace.left_out))
    found.recipients = [Line(r.name, r.address, _rule(r.why), _path(r.why, names)) for r in shown]
    found.left_out = [_left_line(item, names) for item in trace.left_out]
    found.left_out_more = trace.more


def row_why(message: OutgoingMessage, names: dict[int, str] | None = None) -> dict:
    """The context of `notifications/_row_why.html` for one outbox row: recipients per rule
    and the most common paths, in words. `names` (group id → name) saves the row's own query."""
    record = message.why or {}
    paths = record.get("paths", [])
    if names is None:
        names = _names({pk for _, path, _ in paths for pk in path})
    return {
        "why_rules": [(RULES.get(rule, rule), n) for rule, n in record.get("rules", {}).items()],
        "why_paths": [
            (RULES.get(rule, rule), [names.get(pk, f"#{pk}") for pk in path], n)
            for rule, path, n in paths
        ],
        "why_more": record.get("more", 0),
    }


def group_names(messages: Iterable[OutgoingMessage]) -> dict[int, str]:
    """Names of every group on the paths of `messages`, in one query (for a page of rows)."""
    return _names(
        {pk for m in messages for _, path, _ in (m.why or {}).get("paths", []) for pk in path}
    )


def _box_label(settings: NotificationSettings, box: str) -> str:
    return str(settings._meta.get_field(box).verbose_name)


def _rule(why: Why) -> str:
    return RULES.get(why[0], why[0])


def _path(why: Why, names: dict[int, str]) -> list[str]:
    return [names.get(pk, f"#{pk}") for pk in why[1]]


def _left_line(item: LeftOut, names: dict[int, str]) -> Line:
    first = ""
    if item.reason == "already" and item.first[0]:
        first = " › ".join([_rule(item.first), *_path(item.first, names)])
    name = item.name or names.get(item.object_id, "")
    return Line(
        name, item.address, _rule(item.why), _path(item.why, names), REASONS[item.reason], first
    )


def _ids_in(whys: list[Why], left_out: list[LeftOut]) -> set[int]:
    ids = {pk for _, path in whys for pk in path}
    for item in left_out:
        ids.update(item.why[1])
        ids.update(item.first[1])
        if not item.name and item.object_id:
            ids.add(item.object_id)
    return ids


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(DirectoryObject.objects.filter(pk__in=sorted(ids)).values_list("id", "name"))
