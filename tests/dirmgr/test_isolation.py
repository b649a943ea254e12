"""Every URL of a store answers 404 to an admin of another store, whatever the method.

The URL list is read from the URLconf, so a page added later is covered without editing this.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def store_routes() -> list[str]:
    """Route strings (with <id:...> placeholders) that take a store_id."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return sorted({r for r in walk(get_resolver().url_patterns) if ":store_id>" in r})


def url_for(route: str, store_id: int) -> str:
    def fill(match):
        converter, name = match.groups()
        if name == "store_id":
            return str(store_id)
        return "1" if converter in ("id", "int", None) else "x"

    return "/" + PARAM.sub(fill, route)


ROUTES = store_routes()


def test_it_finds_the_store_pages():
    assert len(ROUTES) >= 7
    assert "identity-stores/<id:store_id>/configurations/notifications/" in ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_it_hides_every_store_url_from_admins_of_other_stores(alice_client, fabrikam, route):
    url = url_for(route, fabrikam.pk)
    for method in ("get", "post"):
        response = getattr(alice_client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} → {response.status_code}"


@pytest.mark.parametrize("route", [r for r in ROUTES if PARAM.findall(r) == [("id", "store_id")]])
def test_it_serves_the_same_url_to_the_stores_own_admin(alice_client, contoso, route):
    response = alice_client.get(url_for(route, contoso.pk))
    assert response.status_code in (200, 302, 405), route


def test_it_answers_404_for_ids_no_column_can_hold(alice_client):
    assert alice_client.get("/identity-stores/99999999999999999999/edit/").status_code == 404
