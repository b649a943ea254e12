"""The Graph client against the loopback server: JSON batching, refusals as `EntraError`s with
Graph's status and code, and an expired delta token as `DeltaExpired`."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from entrasync.errors import DeltaExpired, EntraError
from entrasync.graph import GraphClient
from entrasync.models import EntraConnection
from tests.support.entra import ALICE, CAROL, ENGINEERING


def graph_client(graph, sleep=lambda seconds: None) -> GraphClient:
    conn = EntraConnection(
        tenant=graph.tenant,
        client_id=graph.client_id,
        client_secret=graph.client_secret,
        authority_url=graph.base_url,
        graph_url=graph.base_url,
        timeout=5,
    )
    return GraphClient(conn, sleep=sleep)


@pytest.fixture
def client(graph):
    return graph_client(graph)


def test_batch_answers_each_request_by_id(client, graph):
    body = client.request(
        "POST",
        "/$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": f"/users/{ALICE}/manager/$ref"},
                {"id": "2", "method": "GET", "url": f"/groups/{ENGINEERING}/owners"},
                {"id": "3", "method": "GET", "url": "/groups/nope"},
            ]
        },
    )

    answers = {r["id"]: r for r in body["responses"]}
    assert answers["2"]["status"] == 200
    assert answers["2"]["body"]["value"] == [{"id": CAROL}]
    assert answers["3"]["status"] == 404
    assert answers["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"


def test_a_refusal_carries_status_and_code(client, graph):
    with pytest.raises(EntraError) as refused:
        client.request("DELETE", f"/groups/{ENGINEERING}/owners/{CAROL}/$ref")

    assert (refused.value.status, refused.value.code) == (400, "Request_BadRequest")
    assert "last owner" in str(refused.value)


def test_an_expired_delta_token_is_delta_expired(client, graph):
    link = [d for _page, d in client.pages("/users/delta?$select=id")][-1]
    graph.expire_delta_tokens()

    with pytest.raises(DeltaExpired) as expired:
        list(client.pages(link))

    assert (expired.value.status, expired.value.code) == (410, "syncStateNotFound")


def test_throttling_waits_as_long_as_retry_after_says(graph):
    waits = []
    client = graph_client(graph, sleep=waits.append)
    graph.retry_after = 7
    graph.throttle(2)

    client.request("GET", "/users?$top=1")

    assert waits == [7.0, 7.0]
    assert client.requests == 3


def test_a_retry_after_given_as_an_http_date_is_waited_out(graph):
    waits = []
    client = graph_client(graph, sleep=waits.append)
    graph.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    graph.throttle(1)

    client.request("GET", "/users?$top=1")

    assert len(waits) == 1 and 25 <= waits[0] <= 30  # not the 1 s of an unreadable value
