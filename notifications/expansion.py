"""From picked directory objects to the people who get mail: groups expand to their members.

Kept apart from the rules in `recipients.py` because it is the one part whose cost grows with the
directory: a group of 100,000 members must not be loaded at once. It is shared by change
notifications (through `recipients.Resolution`) and life-cycle notices, so both reach the same
people: picked groups expand transitively through nested groups (a recursive UNION visits each
group once, so membership cycles end); only mail-enabled users and contacts with an address
receive mail, groups never at their own address; each address once, compared case-insensitively.
A group's owners are read here too, as the objects the two owner rules pick.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from django.db.models import Min, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from directory.models import AdditionalOwner, DirectoryObject, GroupMembership

DEFAULT_LANGUAGE = "en"
STREAM_CHUNK = 2000


class Recipient(NamedTuple):
    """One address to notify (lower-cased), with the name and language found for it."""

    address: str
    name: str = ""
    language: str = DEFAULT_LANGUAGE


def expand(
    store_id: int,
    object_ids: set[int],
    exclude: set[str] = frozenset(),
    *,
    details: bool = True,
) -> Iterator[Recipient]:
    """The addressable objects among `object_ids`, then all members of the groups among them,
    nested groups included, each address once and none of `exclude`. Two queries whatever the
    size: the picked objects (a few), and the members, read `STREAM_CHUNK` rows at a time.
    Without `details`, members come with their address only (name "" and language "en")."""
    seeds = sorted(i for i in object_ids if i is not None)
    if not seeds:
        return
    seen = set(exclude)
    for address, name, language in (
        _addressable(store_id).filter(id__in=seeds).values_list("address", "name", "language")
    ):
        if address not in seen:
            seen.add(address)
            yield Recipient(address, name, language or DEFAULT_LANGUAGE)
    members = (
        _addressable(store_id)
        .filter(memberships__group_id__in=_nested_groups(seeds))
        .exclude(address__in=sorted(seen))
        .values_list("address")
        .order_by()
    )
    if not details:
        for (address,) in members.distinct().iterator(chunk_size=STREAM_CHUNK):
            yield Recipient(address)
        return
    members = members.annotate(name=Min("name"), language=Min("language"))
    for address, name, language in members.iterator(chunk_size=STREAM_CHUNK):
        yield Recipient(address, name, language or DEFAULT_LANGUAGE)


def owners(group_id: int | None) -> set[int]:
    """Primary owner and the additional owners not marked "Don't notify"."""
    primary = DirectoryObject.objects.filter(pk=group_id, primary_owner__isnull=False).values_list(
        "primary_owner_id", flat=True
    )
    additional = AdditionalOwner.objects.filter(group_id=group_id, dont_notify=False).values_list(
        "owner_id", flat=True
    )
    return set(primary) | set(additional)


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
