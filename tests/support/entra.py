"""A small Entra ID tenant on the loopback Graph server, and a store connected to it.

Users: Alice, Bob (engineers, managed by Carol), Carol (manager), Dave (director), Erin (no
mailbox). Groups: Engineering (public, owned by Carol: Alice, Bob), All staff (private, owned by
Dave: Carol, Dave and the Engineering group)."""

from __future__ import annotations

from entrasync.models import EntraConnection
from identitystores.models import IdentityStore
from tests.support.servers.graph import GraphTestServer, group_id, user_id

ALICE, BOB, CAROL, DAVE, ERIN = (user_id(i) for i in range(1, 6))
ENGINEERING, ALL_STAFF = group_id(1), group_id(2)


def fill_tenant(graph: GraphTestServer) -> GraphTestServer:
    graph.add_user(ALICE, "Alice Engineer", "alice@fabrikam.test", preferredLanguage="de-DE")
    graph.add_user(BOB, "Bob Engineer", "bob@fabrikam.test")
    graph.add_user(CAROL, "Carol Manager", "carol@fabrikam.test")
    graph.add_user(DAVE, "Dave Director", "dave@fabrikam.test")
    graph.add_user(ERIN, "Erin Nomail")
    graph.set_manager(ALICE, CAROL)
    graph.set_manager(BOB, CAROL)
    graph.add_group(
        ENGINEERING,
        "Engineering",
        mail="eng@fabrikam.test",
        visibility="Public",
        members=[ALICE, BOB],
        owners=[CAROL],
    )
    graph.add_group(
        ALL_STAFF,
        "All staff",
        mail="all@fabrikam.test",
        members=[CAROL, DAVE, ENGINEERING],
        owners=[DAVE],
    )
    return graph


def connect(store: IdentityStore, graph: GraphTestServer, **values) -> EntraConnection:
    fields = {
        "tenant": graph.tenant,
        "client_id": graph.client_id,
        "client_secret": graph.client_secret,
        "authority_url": graph.base_url,
        "graph_url": graph.base_url,
        "timeout": 10,
        **values,
    }
    return EntraConnection.objects.create(store=store, **fields)
