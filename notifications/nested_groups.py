"""The groups a notification expands, nested groups included, and the path to each.

Kept apart from `expansion.py` because this is the part that walks the directory's group
structure: one recursive query finds every nested group (UNION visits each group once, so
membership cycles end), and a breadth-first walk over the small tree of group-in-group links
gives each group the shortest path from the picked group, so a member's path costs one dict
lookup.
"""

from __future__ import annotations

from django.db.models.expressions import RawSQL

from directory.models import DirectoryObject, GroupMembership

from .recipient_trace import Why


def nested_groups(seeds: list[int]) -> RawSQL:
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


def group_paths(rules: dict[int, str]) -> dict[int, Why]:
    """Why each group among the picked objects, or nested in one, is expanded: the rule of the
    picked group it is reached from and the path of groups down to it (breadth first, so the
    shortest). Picked groups are visited in id order, each group keeps the first path found."""
    edges: dict[int, list[int]] = {}
    for parent, child in (
        GroupMembership.objects.filter(
            group_id__in=nested_groups(sorted(rules)), member_is_group=True
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
