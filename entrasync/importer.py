"""The first sync of an Entra ID store: a bulk import, in one transaction, that notifies nobody.

As for LDAP stores (see `ldapsync.importer` for why): before the first sync our copy is empty,
so every object would be "created" and every membership "added" — notifications describing no
change anyone made. Rows go in with multi-row INSERTs (`directory.bulk_sql`) page by page as
Graph sends them, so memory holds one page plus the id map, not the tenant. New objects' keys
come back with their INSERT; a group's memberships go in as one statement per group (the member
ids as one list), so the per-membership work runs in the database, not in Python.

Users come first (the users round), so a group's user members are always known when the group
arrives; a member that is a group not yet seen waits for it by id. Managers and owners are
written at the end, with one UPDATE per row batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from directory.bulk_sql import insert, insert_returning, insert_spread, large_cache, update
from directory.models import AdditionalOwner, DirectoryObject, GroupMembership
from identitystores import audit
from identitystores.models import IdentityStore

from .mapping import SOURCE, Kind, group_values, removed, user_values

FIELDS = ["kind", "name", "email", "mail_enabled", "language", "security_type", "external_id"]


class Import:
    def __init__(self, store: IdentityStore) -> None:
        self.store = store
        self.ids: dict[str, int] = {}
        self.groups: set[int] = set()
        self.waiting: dict[str, list[int]] = {}  # a group member not seen yet → its groups
        self.managers: list[tuple[int, str]] = []
        self.owners: list[tuple[int, list[str]]] = []
        self.counts = dict.fromkeys(("users", "groups", "members", "unresolved"), 0)
        self.template = DirectoryObject(store=store, source=SOURCE)

    def users(self, page: list[dict]) -> None:
        new = [u for u in page if not removed(u) and u["id"] not in self.ids]
        self._insert(Kind.USER, new, user_values)
        for raw in new:
            manager = [m["id"] for m in raw.get("manager@delta") or [] if not removed(m)]
            if manager:
                self.managers.append((self.ids[raw["id"]], manager[-1]))

    def groups_page(self, page: list[dict]) -> None:
        """A group may span pages (Graph splits large member lists): later parts add members."""
        present = [g for g in page if not removed(g)]
        self._insert(Kind.GROUP, [g for g in present if g["id"] not in self.ids], group_values)
        rows: list[tuple[tuple, list[int]]] = []
        for raw in present:
            pk = self.ids[raw["id"]]
            members = [m["id"] for m in raw.get("members@delta") or [] if not removed(m)]
            rows += self._members(pk, members)
            rows += [((group, True), [pk]) for group in self.waiting.pop(raw["id"], [])]
            owners = [o["id"] for o in raw.get("owners@delta") or [] if not removed(o)]
            if owners:
                self.owners.append((pk, owners))
        self.counts["members"] += sum(len(ids) for _, ids in rows)
        insert_spread(GroupMembership, rows, fields=["group", "member_is_group"], spread="member")

    def _insert(self, kind: str, raws: list[dict], values) -> None:
        if not raws:
            return
        rows = []
        private = DirectoryObject.SecurityType.PRIVATE if kind == Kind.GROUP else ""
        for raw in raws:
            v = values(raw)
            rows.append((
                kind, v.get("name", raw["id"]), v.get("email", ""), v.get("mail_enabled", True),
                v.get("language", self.template.language), v.get("security_type", private),
                raw["id"],
            ))  # fmt: skip
        self.ids.update(
            insert_returning(
                DirectoryObject,
                rows,
                fields=FIELDS,
                returning="external_id",
                template=self.template,
            )
        )
        self.counts[f"{kind}s"] += len(raws)
        if kind == Kind.GROUP:
            self.groups.update(self.ids[r["id"]] for r in raws)

    def _members(self, group: int, members: list[str]) -> list[tuple[tuple, list[int]]]:
        """The group's user members and group members (each list sorted, the order of the
        unique (group, member) index); members not seen yet wait for their entry."""
        pks = list(map(self.ids.get, members))
        found = set(pks)
        if None in found:
            found.discard(None)
            for ext, pk in zip(members, pks, strict=True):
                if pk is None:
                    self.waiting.setdefault(ext, []).append(group)
        found.discard(group)
        nested = found & self.groups
        return [((group, False), sorted(found - nested)), ((group, True), sorted(nested))]

    def finish(self) -> None:
        """Members never seen (outside what the app may read) are counted, not written."""
        self.counts["unresolved"] += sum(map(len, self.waiting.values()))
        managers = [(self.ids[m], pk) for pk, m in self.managers if m in self.ids]
        update(DirectoryObject, "primary_manager_id", managers)
        primaries, extra = [], []
        for pk, owners in self.owners:
            known = [self.ids[o] for o in dict.fromkeys(owners) if o in self.ids]
            if known:
                primaries.append((known[0], pk))
                extra += [(pk, o) for o in known[1:]]
        update(DirectoryObject, "primary_owner_id", primaries)
        insert(AdditionalOwner, extra, fields=["group", "owner"])


@transaction.atomic
def bulk_import(store: IdentityStore, pages: Iterable[tuple[str, list[dict]]]) -> dict[str, int]:
    """Import the pages of the users round, then of the groups round, each given as
    ("users" | "groups", page); returns the counts."""
    state = Import(store)
    with large_cache():
        for kind, page in pages:
            if kind == "users":
                state.users(page)
            else:
                state.groups_page(page)
        state.finish()
    audit.record(
        store,
        "Directory sync",
        "directory.imported",
        [(name, "", str(count)) for name, count in state.counts.items()],
    )
    return state.counts
