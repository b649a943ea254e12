"""The app-only token is kept per connection in the process: write-backs do not sign in again,
and a connection whose secret changed never gets the token taken with the old one."""

from directory import changes
from directory.changes import Actor
from directory.models import DirectoryObject
from entrasync import token_apps
from tests.support.entra import ENGINEERING, ERIN


def obj(store, external_id):
    return DirectoryObject.objects.get(store=store, external_id=external_id)


def sign_ins(graph) -> int:
    return sum(1 for method, path in graph.requests if path.endswith("/oauth2/v2.0/token"))


def test_two_write_backs_in_a_row_sign_in_once(synced, graph, bob):
    token_apps.forget(synced.entra_connection)
    before = sign_ins(graph)

    changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))
    changes.remove_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    assert sign_ins(graph) == before + 1
    assert ERIN not in graph.members[ENGINEERING]


def test_a_changed_secret_signs_in_again(synced, graph, bob):
    changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))
    before = sign_ins(graph)
    graph.client_secret = "entra-Secret~rotated"
    conn = synced.entra_connection
    conn.client_secret = "entra-Secret~rotated"
    conn.save()

    changes.remove_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    assert sign_ins(graph) == before + 1
    assert ERIN not in graph.members[ENGINEERING]


def test_a_token_graph_refuses_is_replaced(synced, graph, bob):
    graph.tokens.clear()
    before = sign_ins(graph)

    changes.add_member(obj(synced, ENGINEERING), obj(synced, ERIN), Actor(bob))

    assert sign_ins(graph) == before + 1
    assert ERIN in graph.members[ENGINEERING]
