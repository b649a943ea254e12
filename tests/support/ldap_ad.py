"""An Active Directory look-alike on the private slapd of tests/support/ldap_server.py: AD's
attribute types and object classes (with AD's OIDs where it has them), binary 16-byte objectGUIDs, a
uSNChanged on every entry and a rootDSE that publishes highestCommittedUSN and dsServiceName.

What slapd does not do like AD, the tests do by hand: uSNChanged is an ordinary attribute, so a
test that changes an entry sets its uSNChanged too, and the rootDSE is a file slapd reads at
start, so a higher highestCommittedUSN means a restart (`Slapd.set_root_dse`). Large integers
(uSNChanged, pwdLastSet) use the INTEGER syntax; objectCategory holds a short string (`person`),
not the schema DN AD stores, so the preset's `(objectCategory=person)` matches.
msExchCoManagedByLink (Exchange's) and the rootDSE's highestCommittedUSN and dsServiceName
(constructed by AD, in no schema there) have OIDs from OpenLDAP's experimental arc; slapd needs
the two rootDSE types defined to return them when a search names them.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest

from tests.support.ldap_server import SUFFIX, SYNC_DN, SYNC_PASSWORD, Slapd

INTEGER = "1.3.6.1.4.1.1466.115.121.1.27"
STRING = "1.3.6.1.4.1.1466.115.121.1.15"
DN = "1.3.6.1.4.1.1466.115.121.1.12"
OCTETS = "1.3.6.1.4.1.1466.115.121.1.40"
TEST_ARC = "1.3.6.1.4.1.4203.666.100"

SCHEMA = f"""\
dn: cn=ad,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: ad
olcAttributeTypes: ( 1.2.840.113556.1.4.2 NAME 'objectGUID'
  EQUALITY octetStringMatch SYNTAX {OCTETS}{{16}} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.2.120 NAME 'uSNChanged'
  EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX {INTEGER} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX {STRING} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX {STRING} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.653 NAME 'managedBy'
  EQUALITY distinguishedNameMatch SYNTAX {DN} SINGLE-VALUE )
olcAttributeTypes: ( {TEST_ARC}.1 NAME 'msExchCoManagedByLink'
  EQUALITY distinguishedNameMatch SYNTAX {DN} )
olcAttributeTypes: ( 1.2.840.113556.1.4.96 NAME 'pwdLastSet'
  EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX {INTEGER} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX {INTEGER} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.750 NAME 'groupType'
  EQUALITY integerMatch SYNTAX {INTEGER} SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.782 NAME 'objectCategory'
  EQUALITY caseIgnoreMatch SYNTAX {STRING} SINGLE-VALUE )
olcAttributeTypes: ( {TEST_ARC}.2 NAME 'highestCommittedUSN'
  EQUALITY integerMatch ORDERING integerOrderingMatch SYNTAX {INTEGER} SINGLE-VALUE )
olcAttributeTypes: ( {TEST_ARC}.3 NAME 'dsServiceName'
  EQUALITY distinguishedNameMatch SYNTAX {DN} SINGLE-VALUE )
olcObjectClasses: ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL
  MAY ( objectGUID $ uSNChanged $ objectCategory $ sAMAccountName $ userPrincipalName $
  displayName $ mail $ manager $ pwdLastSet $ userAccountControl ) )
olcObjectClasses: ( 1.2.840.113556.1.3.30 NAME 'computer' SUP user STRUCTURAL )
olcObjectClasses: ( 1.2.840.113556.1.5.15 NAME 'contact' SUP organizationalPerson STRUCTURAL
  MAY ( objectGUID $ uSNChanged $ objectCategory $ displayName $ mail $ manager ) )
olcObjectClasses: ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL
  MUST ( cn $ groupType )
  MAY ( objectGUID $ uSNChanged $ objectCategory $ sAMAccountName $ displayName $ mail $
  member $ managedBy $ msExchCoManagedByLink ) )
"""

# AD keeps these links right after a rename itself; here the refint overlay does it.
REFINT = ("managedBy", "msExchCoManagedByLink")

SITE = f"CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,{SUFFIX}"
DC1, DC2 = f"CN=NTDS Settings,CN=DC1,{SITE}", f"CN=NTDS Settings,CN=DC2,{SITE}"
FIRST_USN = 3000  # highestCommittedUSN when the fixture is loaded; every entry's USN is below
GLOBAL_SECURITY_GROUP = -2147483646
NORMAL_ACCOUNT, DISABLED_ACCOUNT = 512, 514
PASSWORD_SET = dt.datetime(2024, 1, 15, 10, 30, tzinfo=dt.UTC)


def root_dse(usn: int, server: str = DC1) -> str:
    return f"dn:\nhighestCommittedUSN: {usn}\ndsServiceName: {server}\n"


def filetime(when: dt.datetime) -> int:
    """AD's FILETIME: 100-ns intervals since 1601-01-01 UTC."""
    return (when - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1) * 10


def guid(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.ad.example.test")


def user_dn(name: str) -> str:
    return f"CN={name},OU=Staff,{SUFFIX}"


def contact_dn(name: str) -> str:
    return f"CN={name},OU=Contacts,{SUFFIX}"


def ad_group_dn(name: str) -> str:
    return f"CN={name},OU=Groups,{SUFFIX}"


def _common(dn: str, name: str, usn: int, classes: tuple[str, ...], category: str) -> list[str]:
    """GUIDs are written in AD's byte order (`bytes_le`), base64 in LDIF."""
    raw = base64.b64encode(guid(name).bytes_le).decode()
    return [
        f"dn: {dn}",
        *(f"objectClass: {c}" for c in classes),
        f"objectGUID:: {raw}",
        f"uSNChanged: {usn}",
        f"objectCategory: {category}",
    ]


def _user(login: str, name: str, usn: int, manager: str = "", control: int = NORMAL_ACCOUNT) -> str:
    lines = _common(
        user_dn(name), name, usn, ("top", "person", "organizationalPerson", "user"), "person"
    )
    lines += [
        f"cn: {name}",
        f"sn: {name.split()[-1]}",
        f"displayName: {name}",
        f"sAMAccountName: {login}",
        f"userPrincipalName: {login}@ad.example.test",
        f"mail: {login}@example.test",
        f"userAccountControl: {control}",
        f"pwdLastSet: {filetime(PASSWORD_SET)}",
        f"userPassword: {login}-password",
    ]
    if manager:
        lines.append(f"manager: {user_dn(manager)}")
    return "\n".join(lines) + "\n"


def _group(
    name: str, usn: int, members: tuple[str, ...], owner: str = "", co_owners: tuple[str, ...] = ()
) -> str:
    lines = _common(ad_group_dn(name), name, usn, ("top", "group"), "group")
    lines += [f"cn: {name}", f"groupType: {GLOBAL_SECURITY_GROUP}", f"displayName: {name}"]
    lines += [f"member: {m}" for m in members]
    if owner:
        lines.append(f"managedBy: {owner}")
    lines += [f"msExchCoManagedByLink: {o}" for o in co_owners]
    return "\n".join(lines) + "\n"


def _container(ou: str) -> str:
    return f"dn: OU={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}\n"


_computer = "\n".join(
    _common(
        f"CN=WS01,OU=Staff,{SUFFIX}",
        "WS01",
        2090,
        ("top", "person", "organizationalPerson", "user", "computer"),
        "computer",
    )
    + ["cn: WS01", "sn: WS01", "sAMAccountName: WS01$", "userPassword: ws01-password"]
)

# Dave directs; Carol (managed by Dave) manages Alice, Bob and Erin; Erin's account is disabled.
# Engineering: Alice and Bob, managed by Carol, co-managed by Dave. All Staff: Engineering
# (nested), Carol, Dave and the partner contact, managed by Dave. WS01 is a computer: an
# objectClass=user entry that the preset's objectCategory=person leaves out.
FIXTURE_LDIF = "\n".join(
    [
        _container("Staff"),
        _container("Contacts"),
        _container("Groups"),
        _user("dave", "Dave Director", 2001),
        _user("carol", "Carol Manager", 2002, manager="Dave Director"),
        _user("alice", "Alice Engineer", 2003, manager="Carol Manager"),
        _user("bob", "Bob Engineer", 2004, manager="Carol Manager"),
        _user("erin", "Erin Leaver", 2005, manager="Carol Manager", control=DISABLED_ACCOUNT),
        "\n".join(
            _common(
                contact_dn("Pat Partner"),
                "Pat Partner",
                2010,
                ("top", "person", "organizationalPerson", "contact"),
                "person",
            )
            + ["cn: Pat Partner", "sn: Partner", "displayName: Pat Partner"]
            + ["mail: pat@partner.test"]
        )
        + "\n",
        _computer + "\n",
        _group(
            "Engineering",
            2020,
            (user_dn("Alice Engineer"), user_dn("Bob Engineer")),
            owner=user_dn("Carol Manager"),
            co_owners=(user_dn("Dave Director"),),
        ),
        _group(
            "All Staff",
            2021,
            (
                ad_group_dn("Engineering"),
                user_dn("Carol Manager"),
                user_dn("Dave Director"),
                contact_dn("Pat Partner"),
            ),
            owner=user_dn("Dave Director"),
        ),
    ]
)


def ad_slapd_at(directory, server: str = DC1) -> Slapd:
    """A started AD look-alike holding FIXTURE_LDIF, announcing itself as `server`."""
    slapd = Slapd(directory, schema=SCHEMA, refint=REFINT, root_dse=root_dse(FIRST_USN, server))
    slapd.load(FIXTURE_LDIF)
    slapd.start()
    return slapd


def ad_connection(store, urls: str, ca: str):
    from ldapsync.mapping import PRESETS
    from ldapsync.models import DirectoryConnection, Flavor

    return DirectoryConnection.objects.create(
        store=store,
        flavor=Flavor.ACTIVE_DIRECTORY,
        urls=urls,
        ca_certificate=ca,
        bind_dn=SYNC_DN,
        bind_password=SYNC_PASSWORD,
        base_dn=SUFFIX,
        signin_enabled=True,
        **PRESETS[Flavor.ACTIVE_DIRECTORY],
    )


# --- pytest fixtures ------------------------------------------------------------------------------


@pytest.fixture
def ad_slapd(tmp_path):
    server = ad_slapd_at(tmp_path / "dc1")
    yield server
    server.stop()


@pytest.fixture
def ad_store(db, ad_slapd):
    """An Active Directory identity store on `ad_slapd` with the preset mapping."""
    from identitystores.models import IdentityStore

    store = IdentityStore.objects.create(
        name="Example AD", type=IdentityStore.Type.ACTIVE_DIRECTORY
    )
    ad_connection(store, ad_slapd.ldap_url, ad_slapd.ca_path.read_text())
    return store
