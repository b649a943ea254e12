"""The HTTPS client for the token endpoint and Graph: our trust store, our timeouts, no proxies
or CA bundles picked up from the environment (REQUESTS_CA_BUNDLE would replace our trust).

Every request goes to an address the destination policy approved (`PinnedAdapter`: the name is
resolved once, checked, and the connection made to that address while TLS verifies the
certificate for the name), and redirects are never followed: a token endpoint that answers
307 would otherwise receive the client secret's POST body at an unchecked host.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from core import destinations, tls

USER_REALM_PATH = "/common/userrealm/"


class RedirectRefused(requests.RequestException):
    """The server answered with a redirect, which is never followed."""


class RefusedDestination(requests.RequestException):
    """The destination policy refused the request's host (the cause says why)."""


class PinnedAdapter(HTTPAdapter):
    """Connects to the address `destinations.check` approved, never to a second DNS answer."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any):
        parts = urlsplit(request.url or "")
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        try:
            return super().send(request, *args, **kwargs)
        except destinations.DestinationRefused as exc:
            raise RefusedDestination(str(exc), request=request) from exc
        except socket.gaierror as exc:
            raise requests.ConnectionError(exc, request=request) from exc

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = host_params["host"]
        port = host_params["port"] or (443 if host_params["scheme"] == "https" else 80)
        host_params["host"] = str(destinations.checked_address(name, port))
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs


class HttpClient(requests.Session):
    """A `requests.Session` that always sets a timeout and verifies against `tls.ca_file()`.

    msal asks `https://<authority host>/common/userrealm/<user>` without the authority's port.
    For an identity provider on a non-default port (a private or loopback authority) that call
    goes to the authority's own port, where the provider answers it.
    """

    def __init__(self, timeout: float, authority: str = ""):
        super().__init__()
        self.trust_env = False
        self.verify = tls.ca_file()
        self.timeout = timeout
        self._authority = urlsplit(authority) if authority else None
        self.mount("https://", PinnedAdapter())
        self.mount("http://", PinnedAdapter())

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        kwargs["allow_redirects"] = False
        response = super().request(method, self._with_authority_port(url), *args, **kwargs)
        if response.is_redirect:
            response.close()
            host = urlsplit(url).netloc.rpartition("@")[2]
            raise RedirectRefused(
                f"{host} answered with a redirect (HTTP {response.status_code}), which this "
                "Admin Center does not follow: enter the address that answers directly."
            )
        return response

    def _with_authority_port(self, url: str) -> str:
        parts = urlsplit(url)
        authority = self._authority
        if (
            authority is None
            or authority.port is None
            or parts.port is not None
            or parts.hostname != authority.hostname
            or not parts.path.startswith(USER_REALM_PATH)
        ):
            return url
        return urlunsplit(parts._replace(netloc=authority.netloc))
