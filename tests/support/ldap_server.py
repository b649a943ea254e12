"""A private OpenLDAP server for tests and the benchmark: Debian's slapd with its own cn=config
(built offline with `slapadd -n0`), its own database directory, a trustme CA, and free loopback
ports for ldap:// (StartTLS) and ldaps://. The system slapd service is never touched.

Accounts: the root DN (`cn=admin`, used only to prepare data), `cn=sync` (the store's service
account: may write, no size limit) and `cn=limited` (read-only, size limit 5, for the size-limit
case). The refint overlay keeps member/manager/owner DNs right after renames and deletes, as in
a production directory (it rewrites them without touching any timestamp). `load(ldif)` uses
offline `slapadd -q` before `start()`. The fixtures at the end are used with
`pytest_plugins = ["tests.support.ldap_server"]`.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
import zlib
from pathlib import Path

import ldap3
import pytest
import trustme

from tests.support.net import free_port

SUFFIX = "dc=example,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
SYNC_DN = f"cn=sync,ou=service,{SUFFIX}"
SYNC_PASSWORD = "sync-secret"
LIMITED_DN = f"cn=limited,ou=service,{SUFFIX}"
LIMITED_PASSWORD = "limited-secret"
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
REFINT_ATTRIBUTES = ("member", "uniqueMember", "manager", "owner")

CONFIG = """\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {dir}/slapd.pid
olcTLSCACertificateFile: {dir}/ca.pem
olcTLSCertificateFile: {dir}/server.pem
olcTLSCertificateKeyFile: {dir}/server.key

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: refint

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: 500

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {dir}/db
olcSuffix: {suffix}
olcRootDN: {root_dn}
olcRootPW: {root_password}
olcDbMaxSize: 8589934592
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
olcDbIndex: modifyTimestamp eq
olcDbIndex: uid eq
olcDbIndex: mail eq
olcDbIndex: member,uniqueMember,manager,owner eq
olcAccess: {{0}}to attrs=userPassword by self read by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{sync_dn}" write by * read
olcLimits: {{0}}dn.exact="{sync_dn}" size=unlimited time=unlimited
olcLimits: {{1}}dn.exact="{limited_dn}" size=5

dn: olcOverlay={{0}}refint,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {{0}}refint
olcRefintAttribute: {refint}
olcRefintNothing: {root_dn}
"""

BASE = """\
dn: {suffix}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=service,{suffix}
objectClass: organizationalUnit
ou: service

dn: {sync_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: sync
userPassword: {sync_password}

dn: {limited_dn}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: limited
userPassword: {limited_password}
"""


class Slapd:
    """One private slapd instance under `directory` (created empty by the caller).

    Optional, for directories of another kind (tests/support/ldap_ad.py): `schema`, LDIF of more
    `cn=...,cn=schema,cn=config` entries loaded after the standard schemas; `refint`, more
    DN-valued attributes the refint overlay keeps right; `root_dse`, LDIF of extra rootDSE
    attributes (slapd's `olcRootDSE` file, read once at start: see `set_root_dse`).

    slapd reads the rootDSE file with the cn=config entry, before any schema: the server takes
    attributes it does not know yet as undefined types, but slapadd refuses them. So cn=config
    names the file only while the server runs (`_name_root_dse`).
    """

    def __init__(
        self,
        directory: Path,
        *,
        schema: str = "",
        refint: tuple[str, ...] = (),
        root_dse: str | None = None,
    ) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.refint = REFINT_ATTRIBUTES + refint
        self.root_dse_path = self.dir / "rootdse.ldif" if root_dse is not None else None
        if self.root_dse_path is not None:
            self.root_dse_path.write_text(root_dse)
        self.ca = trustme.CA()
        self.ca_path = self.dir / "ca.pem"
        self.port = free_port()
        self.tls_port = free_port()
        self.process: subprocess.Popen | None = None
        self._configure()

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    def _configure(self) -> None:
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        cert = self.ca.issue_cert("127.0.0.1")
        cert.private_key_pem.write_to_path(str(self.dir / "server.key"))
        cert.cert_chain_pems[0].write_to_path(str(self.dir / "server.pem"))
        (self.dir / "db").mkdir()
        (self.dir / "slapd.d").mkdir()
        schemas = "\n".join(f"include: file:///etc/ldap/schema/{name}.ldif" for name in SCHEMAS)
        if self.schema:
            schemas += "\n\n" + self.schema.strip() + "\n"
        config = CONFIG.format(
            dir=self.dir,
            schemas=schemas,
            refint=" ".join(self.refint),
            suffix=SUFFIX,
            root_dn=ROOT_DN,
            root_password=ROOT_PASSWORD,
            sync_dn=SYNC_DN,
            limited_dn=LIMITED_DN,
        )
        (self.dir / "config.ldif").write_text(config)
        self._run("slapadd", "-n0", "-F", str(self.dir / "slapd.d"), "-l", "config.ldif")
        self.load(
            BASE.format(
                suffix=SUFFIX,
                sync_dn=SYNC_DN,
                sync_password=SYNC_PASSWORD,
                limited_dn=LIMITED_DN,
                limited_password=LIMITED_PASSWORD,
            )
        )

    def load(self, ldif: str | Path) -> None:
        """Offline bulk load (`slapadd -q`); only while the server is stopped."""
        assert self.process is None, "slapadd needs the server stopped"
        self._name_root_dse(False)
        path = Path(ldif) if isinstance(ldif, Path) else self.dir / f"load-{time.time_ns()}.ldif"
        if not isinstance(ldif, Path):
            path.write_text(ldif)
        self._run("slapadd", "-q", "-n1", "-F", str(self.dir / "slapd.d"), "-l", str(path))

    def start(self) -> None:
        self._name_root_dse(True)
        urls = f"{self.ldap_url}/ {self.ldaps_url}/"
        self.process = subprocess.Popen(
            ["slapd", "-F", str(self.dir / "slapd.d"), "-h", urls, "-d", "none"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        waiting = [self.port, self.tls_port]  # slapd starts listening on one after the other
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.2).close()
                waiting.pop(0)
                if not waiting:
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("slapd did not start listening")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()
        self.process = None

    def set_root_dse(self, ldif: str) -> None:
        """Replace the extra rootDSE attributes; slapd reads them at start, so a running
        server is restarted (same ports)."""
        assert self.root_dse_path is not None, "this server has no rootDSE file"
        self.root_dse_path.write_text(ldif)
        if self.process is not None:
            self.stop()
            self.start()

    def _name_root_dse(self, on: bool) -> None:
        """Add or remove `olcRootDSE` in slapd.d's cn=config entry, written as slapd writes it
        (two header lines, the second with the CRC-32 of the rest)."""
        if self.root_dse_path is None:
            return
        path = self.dir / "slapd.d" / "cn=config.ldif"
        header, _crc, body = path.read_text().split("\n", 2)
        lines = [line for line in body.split("\n") if not line.startswith("olcRootDSE:")]
        if on:
            lines.insert(1, f"olcRootDSE: {self.root_dse_path}")
        body = "\n".join(lines)
        path.write_text(f"{header}\n# CRC32 {zlib.crc32(body.encode()):08x}\n{body}")

    def modify(self, ldif: str) -> None:
        """Online changes as the root DN, through the C client (`ldapmodify`)."""
        env = {**os.environ, "LDAPTLS_CACERT": str(self.ca_path), "LDAPTLS_REQCERT": "demand"}
        subprocess.run(
            ["ldapmodify", "-x", "-ZZ", "-H", self.ldap_url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif.encode(),
            env=env,
            check=True,
            capture_output=True,
        )

    def _run(self, *args: str) -> None:
        result = subprocess.run(args, cwd=self.dir, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr[-2000:]}")


def _person(uid: str, name: str, managers: tuple[str, ...] = ()) -> str:
    lines = [
        f"dn: uid={uid},ou=people,{SUFFIX}",
        "objectClass: inetOrgPerson",
        f"uid: {uid}",
        f"cn: {name}",
        f"sn: {name.split()[-1]}",
        f"mail: {uid}@example.test",
        f"userPassword: {uid}-password",
    ]
    lines += [f"manager: uid={m},ou=people,{SUFFIX}" for m in managers]
    return "\n".join(lines) + "\n"


def _group(cn: str, members: tuple[str, ...], owners: tuple[str, ...] = ()) -> str:
    lines = [f"dn: cn={cn},ou=groups,{SUFFIX}", "objectClass: groupOfNames", f"cn: {cn}"]
    lines += [f"member: {m}" for m in members]
    lines += [f"owner: {o}" for o in owners]
    return "\n".join(lines) + "\n"


def person_dn(uid: str) -> str:
    return f"uid={uid},ou=people,{SUFFIX}"


def group_dn(cn: str) -> str:
    return f"cn={cn},ou=groups,{SUFFIX}"


def directory_values(slapd: Slapd, dn: str, attribute: str) -> list[str]:
    """What the directory itself holds, read as its root DN (lower case, sorted)."""
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(slapd.ca_path))
    server = ldap3.Server(slapd.ldaps_url, tls=tls, get_info=ldap3.NONE)
    with ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True) as conn:
        conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=[attribute])
        return sorted(v.lower() for v in conn.response[0]["attributes"].get(attribute, []))


# Six people (Carol manages Alice, Bob and Erin; Dave manages Carol and is Erin's second
# manager), and groups: Engineering (Alice, Bob; owners Carol then Dave), All Staff (the
# Engineering group nested, Carol, Dave), Solo (only Frank: removing him is refused, a
# groupOfNames cannot be empty).
FIXTURE_LDIF = "\n".join(
    [
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
        _person("dave", "Dave Director"),
        _person("carol", "Carol Manager", ("dave",)),
        _person("alice", "Alice Engineer", ("carol",)),
        _person("bob", "Bob Engineer", ("carol",)),
        _person("erin", "Erin Analyst", ("carol", "dave")),
        _person("frank", "Frank Solo"),
        _group(
            "engineering",
            (person_dn("alice"), person_dn("bob")),
            (person_dn("carol"), person_dn("dave")),
        ),
        _group("all-staff", (group_dn("engineering"), person_dn("carol"), person_dn("dave"))),
        _group("solo", (person_dn("frank"),)),
    ]
)


# --- pytest fixtures (test files import them) ---------------------------------------------------


@pytest.fixture
def slapd(tmp_path):
    """A private slapd loaded with FIXTURE_LDIF, on free loopback ports."""
    server = Slapd(tmp_path / "slapd")
    server.load(FIXTURE_LDIF)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ldap_store(db, slapd):
    """An LDAP identity store connected to `slapd` with the sync account (StartTLS)."""
    from identitystores.models import IdentityStore
    from ldapsync.mapping import PRESETS
    from ldapsync.models import DirectoryConnection, Flavor

    store = IdentityStore.objects.create(name="Example LDAP", type=IdentityStore.Type.LDAP)
    DirectoryConnection.objects.create(
        store=store,
        flavor=Flavor.OPENLDAP,
        urls=slapd.ldap_url,
        ca_certificate=slapd.ca_path.read_text(),
        bind_dn=SYNC_DN,
        bind_password=SYNC_PASSWORD,
        base_dn=SUFFIX,
        signin_enabled=True,
        **PRESETS[Flavor.OPENLDAP],
    )
    return store


@pytest.fixture
def ldap_admin(db, ldap_store):
    """A local Admin Center account with the administrator role on the LDAP store."""
    from django.contrib.auth import get_user_model

    from identitystores.models import StoreRole

    user = get_user_model().objects.create_user("lena", "lena@example.test", "lena-local-pass")
    StoreRole.objects.create(user=user, store=ldap_store)
    return user
