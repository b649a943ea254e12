"""A private certificate authority for the loopback test servers (trustme).

Clients under test trust it through `settings.DIRMGR_CA_BUNDLE`, exactly as a customer with a
private CA would. Extra certificates (expired, wrong host name, signed by an unknown CA) let the
tests provoke each TLS failure the Test Server button has to explain.
"""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

LOOPBACK_IDENTITIES = ("127.0.0.1", "localhost")


@dataclass
class TestCA:
    """The CA, its PEM file on disk and the good server certificate for 127.0.0.1."""

    ca: trustme.CA
    ca_pem: Path
    leaf: trustme.LeafCert

    @classmethod
    def create(cls, directory: Path) -> TestCA:
        ca = trustme.CA(organization_name="dirmgr test CA")
        ca_pem = directory / "test-ca.pem"
        ca.cert_pem.write_to_path(str(ca_pem))
        return cls(ca=ca, ca_pem=ca_pem, leaf=ca.issue_cert(*LOOPBACK_IDENTITIES))

    def server_context(self, leaf: trustme.LeafCert | None = None) -> ssl.SSLContext:
        """A server-side context presenting `leaf` (default: the valid 127.0.0.1 certificate)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        (leaf or self.leaf).configure_cert(context)
        return context

    def expired_leaf(self) -> trustme.LeafCert:
        now = datetime.datetime.now(datetime.UTC)
        return self.ca.issue_cert(
            *LOOPBACK_IDENTITIES,
            not_before=now - datetime.timedelta(days=30),
            not_after=now - datetime.timedelta(days=1),
        )

    def wrong_host_leaf(self) -> trustme.LeafCert:
        return self.ca.issue_cert("mail.elsewhere.test")


def untrusted_leaf() -> trustme.LeafCert:
    """A certificate for 127.0.0.1 signed by a CA no client trusts."""
    return trustme.CA(organization_name="unknown CA").issue_cert(*LOOPBACK_IDENTITIES)
