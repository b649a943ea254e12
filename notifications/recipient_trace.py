"""Why each recipient was chosen, and who was left out: what **Who would be notified?** shows.

Every recipient carries why it was chosen: the rule that picked it and the path of group ids
from the picked group down to the group it is a direct member of (empty when it was picked
itself). What the rules leave out (and why) is collected only when a `Trace` is passed to the
expansion: explaining runs the same expansion plus the queries here that find who was left out,
so sending mail never pays for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Min

from directory.models import DirectoryObject

# (rule code, path of group ids): "owners", (12, 31) = an owner through group 12, then 31.
Why = tuple[str, tuple[int, ...]]
NO_WHY: Why = ("", ())


class LeftOut(NamedTuple):
    """Someone a rule picked who gets no mail: the object (if any), what picked it, the reason
    code (see `explain.REASONS`) and, for "already a recipient", why the address already is one."""

    object_id: int | None
    name: str
    address: str
    why: Why
    reason: str
    first: Why = NO_WHY


@dataclass
class Trace:
    """Collects who was left out while resolving; `limit` caps the list, `more` counts the rest."""

    limit: int = 500
    left_out: list[LeftOut] = field(default_factory=list)
    more: int = 0
    first: dict[str, Why] = field(default_factory=dict)  # address -> why it is a recipient

    def leave_out(self, item: LeftOut) -> None:
        if len(self.left_out) < self.limit:
            self.left_out.append(item)
        else:
            self.more += 1

    def chosen(self, address: str, why: Why) -> None:
        self.first.setdefault(address, why)

    def chosen_store_copies(self, to: list[str], cc: list[str]) -> None:
        """To:/CC: of the store are recipients before any rule is read."""
        for rule, addresses in (("to", to), ("cc", cc)):
            for address in addresses:
                self.chosen(address.lower(), (rule, ()))

    def already(self, pk: int | None, name: str, address: str, why: Why) -> None:
        """`address` was picked again (by `why`): it receives the message once, as `first`."""
        first = self.first.get(address, NO_WHY)
        self.leave_out(LeftOut(pk, name, address, why, "already", first))


def trace_seeds(trace: Trace, store_id: int, rules: dict[int, str]) -> None:
    """Picked users and contacts that cannot receive mail, and picked objects of another store."""
    picked = DirectoryObject.objects.filter(id__in=sorted(rules)).exclude(
        kind=DirectoryObject.Kind.GROUP
    )
    for pk, name, email, enabled, store in picked.values_list(
        "id", "name", "email", "mail_enabled", "store_id"
    ):
        if store != store_id:
            trace.leave_out(LeftOut(pk, name, email.lower(), (rules[pk], ()), "other_store"))
        elif not (email and enabled):
            trace.leave_out(LeftOut(pk, name, "", (rules[pk], ()), _unaddressable(email)))


def trace_members(trace: Trace, store_id: int, tree: dict[int, Why], seen: set[str]) -> None:
    """Members of the expanded groups who get no mail: no address, not mail-enabled, an address
    that already receives the message, or an object of another store."""
    if not tree:
        return
    rows = (
        DirectoryObject.objects.filter(memberships__group_id__in=sorted(tree))
        .exclude(kind=DirectoryObject.Kind.GROUP)
        .annotate(via=Min("memberships__group_id"))
        .values_list("id", "name", "email", "mail_enabled", "store_id", "via")
        .order_by("name", "id")
    )
    for pk, name, email, enabled, store, via in rows:
        address, why = email.lower(), tree[via]
        if store != store_id:
            trace.leave_out(LeftOut(pk, name, address, why, "other_store"))
        elif not (email and enabled):
            trace.leave_out(LeftOut(pk, name, address, why, _unaddressable(email)))
        elif address in seen:
            trace.already(pk, name, address, why)


def _unaddressable(email: str) -> str:
    """The reason a user or contact that is not addressable gets no mail."""
    return "no_address" if not email else "not_mail_enabled"
