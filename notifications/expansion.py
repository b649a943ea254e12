"""From picked directory objects to the people who get mail: groups expand to their members.

Kept apart from the rules in `recipients.py` because it is the one part whose cost grows with the
directory: a group of 100,000 members must not be loaded at once. It is shared by change
notifications (through `recipients.Resolution`) and life-cycle notices, so both reach the same
people: picked groups expand transitively through nested groups (a recursive UNION visits each
group once, so membership cycles end); only mail-enabled users and contacts with an address
receive mail, groups never at their own address; each address once, compared case-insensitively.
A group's owners are read here too, as the objects the two owner rules pick.

Every recipient carries why it was chosen: the rule that picked it and the path of group ids
from the picked group down to the group it is a direct member of (empty when it was picked
itself). The paths come from the small tree of nested groups, so a member costs one dict lookup.
What the rules leave out (and why) is collected only when a `Trace` is passed: explaining runs
the same expansion plus the queries that find who was left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Min, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from directory.models import AdditionalOwner, DirectoryObject, GroupMembership

DEFAULT_LANGUAGE = "en"
STREAM_CHUNK = 2000
NAMED = "named"  # the rule of objects named by the caller (a life-cycle notice)

# (rule code, path of group ids): "owners", (12, 31) = an owner through group 12, then 31.
Why = tuple[str, tuple[int, ...]]
NO_WHY: Why = ("", ())


class Recipient(NamedTuple):
    """One address to notify (lower-cased), with the name and language found for it, and why."""

    address: str
    name: str = ""
    language: str = DEFAULT_LANGUAGE
    why: Why = NO_WHY


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


def expand(
    store_id: int,
    object_ids: set[int] | Mapping[int, str],
    exclude: set[str] = frozenset(),
    *,
    details: bool = True,
    trace: Trace | None = None,
) -> Iterator[Recipient]:
    """The addressable objects among `object_ids`, then all members of the groups among them,
    nested groups included, each address once and none of `exclude`. A fixed number of queries
    whatever the size: the picked objects (a few), the nested-group tree, and the members, read
    `STREAM_CHUNK` rows at a time. `object_ids` maps each object to the rule that picked it (a
    plain set: all `NAMED`). Without `details`, members come with their address only."""
    rules = _rules(object_ids)
    if not rules:
        return
    seen = set(exclude)
    for address, name, language, pk in (
        _addressable(store_id)
        .filter(id__in=sorted(rules))
        .values_list("address", "name", "language", "id")
    ):
        why = (rules[pk], ())
        if address in seen:
            _already(trace, pk, name, address, why)
            continue
        seen.add(address)
        _chose(trace, address, why)
        yield Recipient(address, name, language or DEFAULT_LANGUAGE, why)
    tree = _paths(rules)
    if trace is not None:
        _trace_seeds(trace, store_id, rules)
        _trace_members(trace, store_id, tree, seen)
    if tree:
        yield from _members(store_id, rules, tree, seen, details, trace)


def _members(
    store_id: int,
    rules: dict[int, str],
    tree: dict[int, Why],
    seen: set[str],
    details: bool,
    trace: Trace | None,
) -> Iterator[Recipient]:
    """All members of the groups in `tree` not in `seen`, each with the path to the group it
    is reached through (the lowest such group id, the same on every run)."""
    members = (
        _addressable(store_id)
        .filter(memberships__group_id__in=_nested_groups(sorted(rules)))
        .exclude(address__in=sorted(seen))
        .values_list("address")
        .order_by()
    )
    if not details and trace is None:  # the hot path: one tuple per member, no call
        rows = members.annotate(via=Min("memberships__group_id"))
        for address, via in rows.iterator(chunk_size=STREAM_CHUNK):
            yield Recipient(address, "", DEFAULT_LANGUAGE, tree[via])
        return
    members = members.annotate(name=Min("name"), language=Min("language"))
    rows = members.annotate(via=Min("memberships__group_id")).iterator(chunk_size=STREAM_CHUNK)
    for address, name, language, via in rows:
        if trace is not None:
            trace.chosen(address, tree[via])
        yield Recipient(address, name, language or DEFAULT_LANGUAGE, tree[via])


def owners(group_id: int | None, trace: Trace | None = None, rule: str = "") -> set[int]:
    """Primary owner and the additional owners not marked "Don't notify" (those are left out
    with the reason "dont_notify" when tracing)."""
    primary = DirectoryObject.objects.filter(pk=group_id, primary_owner__isnull=False).values_list(
        "primary_owner_id", flat=True
    )
    links = AdditionalOwner.objects.filter(group_id=group_id)
    additional = links.filter(dont_notify=False).values_list("owner_id", flat=True)
    if trace is not None:
        for pk, name, email in links.filter(dont_notify=True).values_list(
            "owner_id", "owner__name", "owner__email"
        ):
            trace.leave_out(LeftOut(pk, name, email.lower(), (rule, ()), "dont_notify"))
    return set(primary) | set(additional)


def _rules(object_ids: set[int] | Mapping[int, str]) -> dict[int, str]:
    if isinstance(object_ids, Mapping):
        return {pk: rule for pk, rule in object_ids.items() if pk is not None}
    return {pk: NAMED for pk in object_ids if pk is not None}


def _paths(rules: dict[int, str]) -> dict[int, Why]:
    """Why each group among the picked objects, or nested in one, is expanded: the rule of the
    picked group it is reached from and the path of groups down to it (breadth first, so the
    shortest). Picked groups are visited in id order, each group keeps the first path found."""
    edges: dict[int, list[int]] = {}
    for parent, child in (
        GroupMembership.objects.filter(
            group_id__in=_nested_groups(sorted(rules)), member_is_group=True
        )
        .values_list("group_id", "member_id")
        .order_by("group_id", "member_id")
    ):
        edges.setdefault(parent, []).append(child)
    roots = DirectoryObject.objects.filter(
        id__in=sorted(rules), kind=DirectoryObject.Kind.GROUP
    ).values_list("id", flat=True)
    tree: dict[int, Why] = {}
    queue = []
    for root in sorted(roots):
        tree[root] = (rules[root], (root,))
        queue.append(root)
    for group in queue:  # grows while it is read: a breadth-first walk
        rule, path = tree[group]
        for child in edges.get(group, ()):
            if child not in tree:
                tree[child] = (rule, (*path, child))
                queue.append(child)
    return tree


def _addressable(store_id: int) -> QuerySet[DirectoryObject]:
    """Mail-enabled users and contacts with an address; groups are reached through members."""
    return (
        DirectoryObject.objects.filter(store_id=store_id, mail_enabled=True)
        .exclude(kind=DirectoryObject.Kind.GROUP)
        .exclude(email="")
        .annotate(address=Lower("email"))
    )


def _nested_groups(seeds: list[int]) -> RawSQL:
    """Ids of the groups among `seeds` and of every group nested in them (a recursive CTE;
    UNION visits each group once, so membership cycles end)."""
    objects = DirectoryObject._meta.db_table
    links = GroupMembership._meta.db_table
    placeholders = ", ".join(["%s"] * len(seeds))
    sql = f"""
        WITH RECURSIVE nested(id) AS (
            SELECT id FROM {objects} WHERE id IN ({placeholders}) AND kind = %s
            UNION
            SELECT m.member_id FROM {links} m JOIN nested n ON m.group_id = n.id
            WHERE m.member_is_group
        )
        SELECT id FROM nested
    """  # noqa: S608 - table names come from model metadata, values are parameters
    return RawSQL(sql, [*seeds, DirectoryObject.Kind.GROUP])


# --- Only when explaining ---------------------------------------------------------------------


def _chose(trace: Trace | None, address: str, why: Why) -> None:
    if trace is not None:
        trace.chosen(address, why)


def _already(trace: Trace | None, pk: int | None, name: str, address: str, why: Why) -> None:
    if trace is not None:
        trace.already(pk, name, address, why)


def _unaddressable(email: str) -> str:
    """The reason a user or contact that is not addressable gets no mail."""
    return "no_address" if not email else "not_mail_enabled"


def _trace_seeds(trace: Trace, store_id: int, rules: dict[int, str]) -> None:
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


def _trace_members(trace: Trace, store_id: int, tree: dict[int, Why], seen: set[str]) -> None:
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
            _already(trace, pk, name, address, why)
