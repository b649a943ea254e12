"""From picked directory objects to the people who get mail: groups expand to their members.

Kept apart from the rules in `recipients.py` because it is the one part whose cost grows with the
directory: a group of 100,000 members must not be loaded at once. It is shared by change
notifications (through `recipients.Resolution`) and life-cycle notices, so both reach the same
people: picked groups expand transitively through nested groups (a recursive UNION visits each
group once, so membership cycles end); only mail-enabled users and contacts with an address
receive mail, groups never at their own address; each address once, compared case-insensitively.
A group's owners are read here too, as the objects the two owner rules pick.

Every recipient carries why it was chosen (`recipient_trace.Why`); the paths come from the tree
of nested groups (`nested_groups.py`). What the rules leave out (and why) is collected only when
a `Trace` is passed (`recipient_trace.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from django.db.models import Min, QuerySet
from django.db.models.functions import Lower

from directory.models import AdditionalOwner, DirectoryObject

from .nested_groups import group_paths, nested_groups
from .recipient_trace import NO_WHY, LeftOut, Trace, Why, trace_members, trace_seeds

DEFAULT_LANGUAGE = "en"
STREAM_CHUNK = 2000
NAMED = "named"  # the rule of objects named by the caller (a life-cycle notice)


class Recipient(NamedTuple):
    """One address to notify (lower-cased), with the name and language found for it, and why."""

    address: str
    name: str = ""
    language: str = DEFAULT_LANGUAGE
    why: Why = NO_WHY


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
    tree = group_paths(rules)
    if trace is not None:
        trace_seeds(trace, store_id, rules)
        trace_members(trace, store_id, tree, seen)
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
        .filter(memberships__group_id__in=nested_groups(sorted(rules)))
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


def _addressable(store_id: int) -> QuerySet[DirectoryObject]:
    """Mail-enabled users and contacts with an address; groups are reached through members."""
    return (
        DirectoryObject.objects.filter(store_id=store_id, mail_enabled=True)
        .exclude(kind=DirectoryObject.Kind.GROUP)
        .exclude(email="")
        .annotate(address=Lower("email"))
    )


# --- Only when explaining ---------------------------------------------------------------------


def _chose(trace: Trace | None, address: str, why: Why) -> None:
    if trace is not None:
        trace.chosen(address, why)


def _already(trace: Trace | None, pk: int | None, name: str, address: str, why: Why) -> None:
    if trace is not None:
        trace.already(pk, name, address, why)
