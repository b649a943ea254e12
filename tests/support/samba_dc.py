"""A real Active Directory domain controller for tests: Debian's Samba 4 in AD DC mode, with a
throwaway domain (EXAMPLE.TEST) provisioned into a temporary directory once per test session.

The DC serves only LDAP (`server services = ldap`: simple binds need no KDC, DNS or NetBIOS),
only on 127.0.0.1, with a trustme certificate for `IP:127.0.0.1`, so the store's verified
ldaps:// and StartTLS work as against a production DC. AD's LDAP ports are fixed (389, 636 and
the global catalog's 3268, 3269): they are checked before the start and the fixture fails with
the name of the port in use instead of a Samba error. The system's Samba configuration and
services are never used.

The directory is filled over ldaps as Administrator (`FIXTURE_*` below): users with managers,
a disabled user, a computer, a contact, groups with `managedBy`, a nested group and `Everyone`
with `BIG_GROUP_SIZE` members. Then the DC is stopped and its directory copied aside; a test
that finds the DC's highestCommittedUSN moved (some earlier test changed the directory) gets
the copy back (`SambaDC.reset`, about a second), so tests may change the directory freely and
run in any order.

Samba differs from Windows AD in ways the tests rely on: it has no Exchange schema
(`msExchCoManagedByLink` is unknown), and it never splits a large attribute by itself (AD
answers a plain `member` read of a big group with `member;range=0-1499`; Samba returns every
value unless the client asks for a range).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import time
from pathlib import Path

import ldap3
import pytest
import trustme

REALM, DOMAIN = "EXAMPLE.TEST", "EXAMPLE"
DOMAIN_DN = "DC=example,DC=test"
BASE_DN = f"OU=Dirmgr,{DOMAIN_DN}"  # the stores' base: only the entries made here
ADMIN_UPN = f"Administrator@{REALM}"
ADMIN_PASSWORD = "Samba-Admin-Pass-1"
LDAP_PORTS = (389, 636, 3268, 3269)  # Samba's ldap service binds all four; none can be moved
LDAP_URL, LDAPS_URL = "ldap://127.0.0.1", "ldaps://127.0.0.1"
BIG_GROUP_SIZE = 1_600  # beyond AD's classic MaxValRange (1,500)
START_TIMEOUT = 30

NORMAL_ACCOUNT, DISABLED_ACCOUNT, WORKSTATION_ACCOUNT = 512, 514, 4096
USER_CLASSES = ["top", "person", "organizationalPerson", "user"]


def user_dn(name: str) -> str:
    return f"CN={name},OU=Staff,{BASE_DN}"


def contact_dn(name: str) -> str:
    return f"CN={name},OU=Contacts,{BASE_DN}"


def group_dn(name: str) -> str:
    return f"CN={name},OU=Groups,{BASE_DN}"


def bulk_dn(number: int) -> str:
    return f"CN=Member {number:04d},OU=Bulk,{BASE_DN}"


def password_of(login: str) -> str:
    """Meets Samba's default complexity rules (three character classes, 7+ characters)."""
    return f"{login.capitalize()}-Pass-1234"


# login, name, manager, userAccountControl. Dave directs; Carol (managed by Dave) manages Alice,
# Bob and Erin; Erin's account is disabled.
FIXTURE_USERS = (
    ("dave", "Dave Director", "", NORMAL_ACCOUNT),
    ("carol", "Carol Manager", "Dave Director", NORMAL_ACCOUNT),
    ("alice", "Alice Engineer", "Carol Manager", NORMAL_ACCOUNT),
    ("bob", "Bob Engineer", "Carol Manager", NORMAL_ACCOUNT),
    ("erin", "Erin Leaver", "Carol Manager", DISABLED_ACCOUNT),
)
# name, members, managedBy. All Staff nests Engineering; Everyone is the big group.
FIXTURE_GROUPS = (
    ("Engineering", (user_dn("Alice Engineer"), user_dn("Bob Engineer")), "Carol Manager"),
    (
        "All Staff",
        (
            group_dn("Engineering"),
            user_dn("Carol Manager"),
            user_dn("Dave Director"),
            contact_dn("Pat Partner"),
        ),
        "Dave Director",
    ),
    ("Everyone", tuple(bulk_dn(n) for n in range(BIG_GROUP_SIZE)), "Dave Director"),
)


class SambaDC:
    """One Samba AD DC whose whole state lives under `directory` (created by the caller)."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.live = self.dir / "dc"
        self.snapshot = self.dir / "snapshot"
        self.ca_path = self.dir / "ca.pem"
        self.log_path = self.dir / "samba.log"
        self.process: subprocess.Popen | None = None
        self.snapshot_usn = ""
        self.timings: dict[str, float] = {}

    # --- life cycle -------------------------------------------------------------------------

    def provision(self) -> None:
        """A new domain in `live`: its smb.conf keeps every path under it (logs, pid, TLS)."""
        if shutil.which("samba-tool") is None or shutil.which("samba") is None:
            raise RuntimeError(
                "Samba is not installed: `apt-get install samba` (scripts/test installs it)"
            )
        self.live.mkdir()
        tls = self.live / "tls"
        tls.mkdir()
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_path))
        cert = ca.issue_cert("127.0.0.1")
        cert.private_key_pem.write_to_path(str(tls / "key.pem"))
        (tls / "key.pem").chmod(0o600)  # Samba refuses a key others may read
        cert.cert_chain_pems[0].write_to_path(str(tls / "cert.pem"))
        ca.cert_pem.write_to_path(str(tls / "ca.pem"))
        options = {
            "interfaces": "127.0.0.1",
            "bind interfaces only": "yes",
            "server services": "ldap",
            "tls enabled": "yes",
            "tls keyfile": tls / "key.pem",
            "tls certfile": tls / "cert.pem",
            "tls cafile": tls / "ca.pem",
            "log file": self.live / "log",
            "pid directory": self.live / "run",
            # A throwaway domain needs no fsync after every change (Samba's own test setting).
            "ldb:nosync": "true",
        }
        self._run(
            "samba-tool",
            "domain",
            "provision",
            f"--targetdir={self.live}",
            f"--realm={REALM}",
            f"--domain={DOMAIN}",
            "--server-role=dc",
            "--dns-backend=NONE",
            f"--adminpass={ADMIN_PASSWORD}",
            *(f"--option={name}={value}" for name, value in options.items()),
        )

    def start(self) -> None:
        busy = [port for port in LDAP_PORTS if _in_use(port)]
        if busy:
            raise RuntimeError(
                f"The Samba AD DC tests need 127.0.0.1 ports {', '.join(map(str, LDAP_PORTS))} "
                f"(AD's LDAP ports cannot be moved), and another process already listens on "
                f"{', '.join(map(str, busy))}: stop it (a system slapd or samba?) and rerun."
            )
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            ["samba", "-F", "--debug-stdout", "-M", "single", "-s", str(self.conf)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"samba exited at start: {self._log_tail()}")
            if all(_in_use(port) for port in (389, 636)):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"samba did not listen within {START_TIMEOUT} s: {self._log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def take_snapshot(self) -> None:
        """Copy the stopped DC's files aside (its databases must not change while copied)."""
        assert self.process is None, "the DC must be stopped"
        shutil.copytree(self.live, self.snapshot, symlinks=True, ignore=_sockets)

    def reset(self) -> None:
        """The directory as it was when the snapshot was taken, if anything changed since."""
        if self.highest_usn() == self.snapshot_usn:
            return
        self.stop()
        shutil.rmtree(self.live)
        shutil.copytree(self.snapshot, self.live, symlinks=True, ignore=_sockets)
        self.start()

    # --- reading and writing as Administrator ------------------------------------------------

    @property
    def conf(self) -> Path:
        return self.live / "etc" / "smb.conf"

    def admin(self) -> ldap3.Connection:
        """A bound ldaps connection as Administrator (the caller closes it)."""
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_path))
        server = ldap3.Server(LDAPS_URL, tls=tls, get_info=ldap3.NONE)
        return ldap3.Connection(
            server, ADMIN_UPN, ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True
        )

    def root_dse(self) -> dict[str, str]:
        with self.admin() as conn:
            names = ["highestCommittedUSN", "dsServiceName"]
            conn.search("", "(objectClass=*)", search_scope=ldap3.BASE, attributes=names)
            attributes = conn.response[0]["attributes"]
            return {name: str(attributes[name][0]) for name in names}

    def highest_usn(self) -> str:
        return self.root_dse()["highestCommittedUSN"]

    def values(self, dn: str, attribute: str) -> list[str]:
        """What the DC holds, lower case and sorted (all values: Samba never splits them)."""
        with self.admin() as conn:
            conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[attribute])
            return sorted(v.lower() for v in conn.response[0]["attributes"].get(attribute, []))

    def fill(self) -> None:
        with self.admin() as conn:
            for ou in (BASE_DN, *(f"OU={name},{BASE_DN}" for name in OUS)):
                conn.add(ou, ["top", "organizationalUnit"])
            for login, name, manager, control in FIXTURE_USERS:
                conn.add(
                    user_dn(name), USER_CLASSES, _user_attributes(login, name, manager, control)
                )
            conn.add(
                user_dn("WS01"),
                [*USER_CLASSES, "computer"],
                {"sAMAccountName": "WS01$", "userAccountControl": WORKSTATION_ACCOUNT},
            )
            contact = {"displayName": "Pat Partner", "mail": "pat@partner.test"}
            conn.add(contact_dn("Pat Partner"), CONTACT_CLASSES, contact)
            for number in range(BIG_GROUP_SIZE):
                conn.add(bulk_dn(number), CONTACT_CLASSES)
            for name, members, owner in FIXTURE_GROUPS:
                attributes = {"sAMAccountName": name.replace(" ", ""), "member": list(members)}
                conn.add(
                    group_dn(name), ["top", "group"], attributes | {"managedBy": user_dn(owner)}
                )

    # --- helpers ------------------------------------------------------------------------------

    def _run(self, *args: str) -> None:
        result = subprocess.run(args, cwd=self.dir, capture_output=True, text=True)
        if result.returncode != 0:
            output = (result.stdout + result.stderr)[-3000:]
            raise RuntimeError(f"{args[0]} {args[1]} {args[2]} failed: {output}")

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


OUS = ("Staff", "Contacts", "Groups", "Bulk")
CONTACT_CLASSES = ["top", "person", "organizationalPerson", "contact"]


def _user_attributes(login: str, name: str, manager: str, control: int) -> dict:
    attributes = {
        "sAMAccountName": login,
        "userPrincipalName": f"{login}@example.test",
        "displayName": name,
        "mail": f"{login}@example.test",
        # AD takes a password only as UTF-16LE in quotes, and only over an encrypted connection.
        "unicodePwd": f'"{password_of(login)}"'.encode("utf-16-le"),
        "userAccountControl": control,
    }
    if manager:
        attributes["manager"] = user_dn(manager)
    return attributes


def _sockets(folder: str, names: list[str]) -> list[str]:
    """The sockets a stopped Samba leaves behind (ldapi): they cannot be copied."""
    return [name for name in names if stat.S_ISSOCK(os.lstat(os.path.join(folder, name)).st_mode)]


def _in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_samba_dc(directory: Path) -> SambaDC:
    """Provision, start, fill, snapshot and restart; `timings` says how long each step took."""
    dc = SambaDC(directory)
    steps = (
        ("provision", dc.provision),
        ("start", dc.start),
        ("fill", dc.fill),
        ("snapshot", lambda: (dc.stop(), dc.take_snapshot())),
        ("restart", dc.start),
    )
    try:
        for step, action in steps:
            began = time.monotonic()
            action()
            dc.timings[step] = time.monotonic() - began
        dc.snapshot_usn = dc.highest_usn()
    except BaseException:
        dc.stop()
        raise
    return dc


# --- pytest fixtures (used with `pytest_plugins = ["tests.support.samba_dc"]`) -----------------


@pytest.fixture(scope="session")
def samba_session(tmp_path_factory):
    dc = start_samba_dc(tmp_path_factory.mktemp("samba"))
    yield dc
    dc.stop()


@pytest.fixture
def samba_dc(samba_session):
    """The session's DC with the fixture directory as provisioned (restored if a test before
    changed it)."""
    samba_session.reset()
    return samba_session


@pytest.fixture
def samba_store(db, samba_dc):
    """An Active Directory identity store on the DC with the preset mapping, over ldaps as
    Administrator, based at `BASE_DN`."""
    from identitystores.models import IdentityStore
    from ldapsync.mapping import PRESETS
    from ldapsync.models import DirectoryConnection, Flavor

    store = IdentityStore.objects.create(name="Samba AD", type=IdentityStore.Type.ACTIVE_DIRECTORY)
    DirectoryConnection.objects.create(
        store=store,
        flavor=Flavor.ACTIVE_DIRECTORY,
        urls=LDAPS_URL,
        ca_certificate=samba_dc.ca_path.read_text(),
        bind_dn=ADMIN_UPN,
        bind_password=ADMIN_PASSWORD,
        base_dn=BASE_DN,
        signin_enabled=True,
        write_back=True,
        **PRESETS[Flavor.ACTIVE_DIRECTORY],
    )
    return store
