"""pytest fixtures for the loopback servers. Registered in tests/conftest.py (pytest_plugins)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from .graph import GraphTestServer
from .identity import IdentityTestServer
from .listener import Listener
from .smtp import SMTPTestServer
from .tls import TestCA


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> TestCA:
    """One CA for the whole run; its PEM file is what DIRMGR_CA_BUNDLE points at."""
    return TestCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def ca_bundle(settings, test_ca) -> str:
    """Make outgoing TLS trust the test CA (system CAs + this bundle, as in production)."""
    settings.DIRMGR_CA_BUNDLE = str(test_ca.ca_pem)
    return settings.DIRMGR_CA_BUNDLE


@pytest.fixture
def smtp_server(test_ca, settings, ca_bundle) -> Iterator:
    """Factory: `smtp_server("starttls", users={"u": "p"})` starts a server, stopped after.

    Clients in this process trust the test CA, and an implicit-TLS server's port counts as an
    implicit-TLS port (as 465 does in production).
    """
    started: list[SMTPTestServer] = []

    def start(mode: str = "plain", *, leaf=None, **options) -> SMTPTestServer:
        if mode != "plain":
            options.setdefault("tls_context", test_ca.server_context(leaf))
        server = SMTPTestServer(mode=mode, **options).start()
        started.append(server)
        if mode == "tls":
            settings.SMTP_IMPLICIT_TLS_PORTS = [*settings.SMTP_IMPLICIT_TLS_PORTS, server.port]
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def identity_server(test_ca, ca_bundle, settings, tmp_path) -> Iterator:
    """Factory for the HTTPS token endpoint (+ Graph). Tokens are cached in a file cache of
    this test's own, shared with any process pointed at the same directory."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    started: list[IdentityTestServer] = []

    def start(**options) -> IdentityTestServer:
        options.setdefault("tls_context", test_ca.server_context())
        server = IdentityTestServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections but never says a word (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture
def listener() -> Iterator:
    """Factory: `listener(banner=b"INFO {...}\\r\\n")` starts a foreign service, stopped after."""
    started: list[Listener] = []

    def start(**options) -> Listener:
        server = Listener(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def graph_server(test_ca, ca_bundle) -> Iterator:
    """Factory for the loopback Entra ID sign-in + Microsoft Graph server (`graph.py`)."""
    started: list[GraphTestServer] = []

    def start(**options) -> GraphTestServer:
        options.setdefault("tls_context", test_ca.server_context())
        server = GraphTestServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
