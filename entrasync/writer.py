"""Write-back: membership, owner and manager changes made in the Admin Center go to Microsoft
Graph before our copy commits (registered with `directory.hooks.register_writer`); when Graph
refuses, the change is rolled back here with the reason in plain words, then Graph's own.

- members: `POST /groups/{id}/members/$ref`, `DELETE /groups/{id}/members/{id}/$ref`;
- owners: Entra ID has no primary owner, so the group's owners there are made the set we hold
  (primary and additional): missing ones added first, then extra ones removed (Graph refuses to
  remove the last owner, so adding first never trips it needlessly);
- manager: Entra ID has one manager, our primary one: `PUT`/`DELETE /users/{id}/manager/$ref`.
  Additional managers stay in the Admin Center only.

A change Graph already holds (someone made it there and sync has not read it yet) goes on here:
refusing it would leave the admin unable to bring our copy in line.
"""

from __future__ import annotations

from directory.change_text import Change
from directory.changes import ChangeError
from directory.models import AdditionalOwner, DirectoryObject, EventKind
from identitystores.models import IdentityStore

from .errors import EntraError, permission_missing
from .graph import GraphClient
from .mapping import SOURCE
from .models import EntraConnection

MEMBER_OPS = {EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED}
OWNER_OPS = {EventKind.OWNER_SET, EventKind.OWNER_ADDED, EventKind.OWNER_REMOVED}
ALREADY_THERE = "already exist"


def writer_for(store: IdentityStore) -> GraphWriter | None:
    conn = EntraConnection.objects.filter(store=store, write_back=True).first()
    return GraphWriter(conn) if conn else None


class GraphWriter:
    def __init__(self, conn: EntraConnection, client: GraphClient | None = None) -> None:
        self.conn = conn
        self.client = client

    def write(self, operation: str, obj: DirectoryObject, other: DirectoryObject | None) -> None:
        if _graph_id(obj) is None or operation in (
            EventKind.MANAGER_ADDED,
            EventKind.MANAGER_REMOVED,
        ):
            return  # kept only in the Admin Center
        change = Change(operation, obj, other)
        client = self.client or GraphClient(self.conn)
        try:
            if operation in MEMBER_OPS:
                _member(client, operation, obj, other)
            elif operation in OWNER_OPS:
                _owners(client, obj)
            elif operation == EventKind.MANAGER_SET:
                _manager(client, obj, other)
        except EntraError as exc:
            raise ChangeError(_refusal(change, exc)) from None


def _member(client: GraphClient, operation: str, group, member) -> None:
    gid, mid = _graph_id(group), _required_id(member)
    if operation == EventKind.MEMBER_ADDED:
        _add_ref(client, f"/groups/{gid}/members/$ref", mid)
        return
    try:
        client.request("DELETE", f"/groups/{gid}/members/{mid}/$ref")
    except EntraError as exc:
        if exc.status != 404 or not _exists(client, f"/groups/{gid}"):
            raise  # the group itself is gone; else the member had already left


def _owners(client: GraphClient, group: DirectoryObject) -> None:
    gid = _graph_id(group)
    extra = [link.owner for link in AdditionalOwner.objects.filter(group=group)]
    wanted = [_required_id(o) for o in [group.primary_owner, *extra] if o is not None]
    owners = client.pages(f"/groups/{gid}/owners?$select=id")
    held = [o["id"] for page, _link in owners for o in page]
    for oid in [o for o in wanted if o not in held]:
        _add_ref(client, f"/groups/{gid}/owners/$ref", oid)
    for oid in [o for o in held if o not in wanted]:
        client.request("DELETE", f"/groups/{gid}/owners/{oid}/$ref")


def _manager(client: GraphClient, user: DirectoryObject, manager: DirectoryObject | None) -> None:
    uid = _graph_id(user)
    if manager is not None:
        ref = {"@odata.id": f"{client.root}/users/{_required_id(manager)}"}
        client.request("PUT", f"/users/{uid}/manager/$ref", ref)
        return
    try:
        client.request("DELETE", f"/users/{uid}/manager/$ref")
    except EntraError as exc:
        if exc.status != 404 or not _exists(client, f"/users/{uid}"):
            raise  # else the user had no manager there either


def _add_ref(client: GraphClient, path: str, object_id: str) -> None:
    ref = {"@odata.id": f"{client.root}/directoryObjects/{object_id}"}
    try:
        client.request("POST", path, ref)
    except EntraError as exc:
        if not (exc.status == 400 and ALREADY_THERE in str(exc)):
            raise


def _exists(client: GraphClient, path: str) -> bool:
    try:
        client.request("GET", f"{path}?$select=id")
    except EntraError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _graph_id(obj: DirectoryObject | None) -> str | None:
    if obj is None or obj.source != SOURCE:
        return None
    return obj.external_id


def _required_id(obj: DirectoryObject | None) -> str:
    found = _graph_id(obj)
    if found is None:
        raise ChangeError(f"{obj.name} exists only in the Admin Center, not in Entra ID.")
    return found


def _refusal(change: Change, exc: EntraError) -> str:
    """`<change> was refused: <plain words>. Microsoft Graph said: <its answer>`."""
    plain = _plain_words(change, exc)
    if plain is None:
        return f"{change.text} failed: {exc}"
    return f"{change.text} was refused: {plain}. {exc}."


def _plain_words(change: Change, exc: EntraError) -> str | None:
    text = str(exc).lower()
    if exc.status == 400 and ("last owner" in text or "at least one owner" in text):
        return "Entra ID keeps at least one owner in every group; add another owner first"
    if exc.status == 403:
        user_change = change.operation == EventKind.MANAGER_SET
        permission = "User.ReadWrite.All" if user_change else "GroupMember.ReadWrite.All"
        doing = "change managers" if user_change else "change group members and owners"
        return permission_missing(permission, doing).rstrip(".")
    if exc.status == 404:
        return (
            "an object this change names is no longer in Entra ID (deleted since the last "
            "sync); the next sync brings the Admin Center up to date"
        )
    if exc.status == 0:
        return None
    return "Microsoft Graph does not accept it"
