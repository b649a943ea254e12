"""Referrals are never followed. A subtree search returns a continuation reference (searchResRef)
for each referral entry under the base, as Active Directory does for DomainDnsZones and
ForestDnsZones at a domain root: sync and Test connection skip them. A base DN that is itself a
referral (result 10) is an error, not a connection to the host it names with our credentials."""

import socket
import threading

import pytest

from directory.models import DirectoryObject
from ldapsync.connection import DirectoryError
from ldapsync.diagnose import test_connection as run_test_connection
from ldapsync.models import DirectoryConnection
from ldapsync.sync import sync_store
from tests.support.ldap_server import SUFFIX

pytest_plugins = ["tests.support.ldap_server"]


class Trap:
    """A loopback listener that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            client.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def trap():
    listener = Trap()
    yield listener
    listener.close()


@pytest.fixture
def referrals(slapd, trap):
    """Two referral entries under the base: one to a host that does not exist, one to `trap`."""
    slapd.modify(
        f"dn: cn=elsewhere,{SUFFIX}\nchangetype: add\nobjectClass: referral\n"
        "objectClass: extensibleObject\ncn: elsewhere\n"
        "ref: ldap://unreachable.invalid/dc=elsewhere\n\n"
        f"dn: cn=trap,{SUFFIX}\nchangetype: add\nobjectClass: referral\n"
        f"objectClass: extensibleObject\ncn: trap\nref: ldap://127.0.0.1:{trap.port}/dc=trap\n"
    )
    return f"cn=trap,{SUFFIX}"


def test_a_full_sync_skips_continuation_references(ldap_store, referrals, trap):
    imported = sync_store(ldap_store)
    again = sync_store(ldap_store, full=True)

    assert (imported.counts["users"], imported.counts["groups"]) == (6, 3)
    assert again.counts["deleted"] == 0
    assert DirectoryObject.objects.filter(store=ldap_store).count() == 9
    assert trap.connections == 0


def test_test_connection_counts_without_the_references(ldap_store, referrals, trap):
    report = run_test_connection(DirectoryConnection.objects.get(store=ldap_store))

    assert report.ok
    assert "✓ 6 users, 3 groups" in report.lines
    assert trap.connections == 0


def test_a_base_dn_that_is_a_referral_is_an_error_not_a_connection(ldap_store, referrals, trap):
    DirectoryConnection.objects.filter(store=ldap_store).update(base_dn=referrals)

    with pytest.raises(DirectoryError) as error:
        sync_store(ldap_store, full=True)
    report = run_test_connection(DirectoryConnection.objects.get(store=ldap_store))

    assert trap.connections == 0
    assert "referral (result 10)" in str(error.value)
    assert not report.ok
    assert "✗ referral (result 10)" in report.lines
