"""The HTTPS client for the token endpoint and Graph: our trust store, our timeouts, no proxies
or CA bundles picked up from the environment (REQUESTS_CA_BUNDLE would replace our trust)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from . import tls

USER_REALM_PATH = "/common/userrealm/"


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

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, self._with_authority_port(url), *args, **kwargs)

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
