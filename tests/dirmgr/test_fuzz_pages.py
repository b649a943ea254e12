"""Every store page's forms, fuzzed: the field names are read from the page itself, so a form
added later is covered too. Hostile values must give a page or a 4xx — never a 500 — and every
state-changing request must carry a CSRF token."""

import ipaddress
import re
import socket

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dirmgr.test_fuzz_forms import TEXT
from tests.dirmgr.test_isolation import ROUTES, url_for

FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.IGNORECASE)
ACTION = re.compile(r'<button[^>]*\bname="action"[^>]*\bvalue="([^"]+)"', re.IGNORECASE)
SIMPLE = [r for r in ROUTES if r.count("<") == 1]  # routes that need only the store's id


def field_names(client, url) -> tuple[list[str], list[str]]:
    page = client.get(url).content.decode()
    names = sorted(set(FIELD.findall(page)) - {"csrfmiddlewaretoken"})
    return names, sorted(set(ACTION.findall(page)))


@pytest.mark.parametrize("route", SIMPLE)
def test_it_never_fails_on_hostile_posts(alice_client, contoso, route, monkeypatch):
    # Test buttons would look fuzzed names up in DNS: only IP literals resolve during this test.
    real = socket.getaddrinfo

    def literal_only(host, *args, **kwargs):
        try:
            ipaddress.ip_address(str(host).strip("[]"))
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "not resolved in tests") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", literal_only)
    url = url_for(route, contoso.pk)
    names, actions = field_names(alice_client, url)
    values = st.fixed_dictionaries(
        {}, optional={**{n: TEXT for n in names}, "action": st.sampled_from(actions or ["x"])}
    )

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=values)
    def post(data):
        response = alice_client.post(url, data)
        assert response.status_code < 500, (url, data)

    post()


def test_it_reads_the_fields_of_a_page(alice_client, contoso):
    names, _ = field_names(
        alice_client, f"/identity-stores/{contoso.pk}/configurations/notifications/"
    )
    assert {"smtp_host", "port", "to_recipients", "ml_days_before", "smtp_password"} <= set(names)


@pytest.mark.parametrize("route", SIMPLE)
def test_it_requires_a_csrf_token_for_every_post(alice, contoso, route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(url_for(route, contoso.pk), {"action": "delete"})
    assert response.status_code == 403, route
