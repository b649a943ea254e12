"""Attribute mapping: the defaults per directory flavour, and turning one LDAP entry into a
`Record` (the directory's view of one object, in our terms)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import DirectoryConnection, Flavor

PRESETS: dict[str, dict[str, str]] = {
    Flavor.ACTIVE_DIRECTORY: {
        "user_filter": "(&(objectCategory=person)(objectClass=user))",
        "group_filter": "(objectClass=group)",
        "contact_filter": "(objectClass=contact)",
        "login_filter": "(|(sAMAccountName={login})(userPrincipalName={login}))",
        "id_attribute": "objectGUID",
        "change_attribute": "uSNChanged",
        "name_attribute": "displayName",
        "mail_attribute": "mail",
        "manager_attribute": "manager",
        "additional_manager_attribute": "",
        "owner_attribute": "managedBy",
        "additional_owner_attribute": "msExchCoManagedByLink",
        "member_attributes": "member",
        "password_last_set_attribute": "pwdLastSet",
        "account_control_attribute": "userAccountControl",
    },
    Flavor.OPENLDAP: {
        "user_filter": "(objectClass=inetOrgPerson)",
        "group_filter": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        "contact_filter": "",
        "login_filter": "(|(uid={login})(mail={login}))",
        "id_attribute": "entryUUID",
        "change_attribute": "modifyTimestamp",
        "name_attribute": "cn",
        "mail_attribute": "mail",
        "manager_attribute": "manager",
        "additional_manager_attribute": "manager",
        "owner_attribute": "owner",
        "additional_owner_attribute": "owner",
        "member_attributes": "member uniqueMember",
        "password_last_set_attribute": "",
        "account_control_attribute": "",
    },
}

ACCOUNT_DISABLED = 0x2  # userAccountControl ACCOUNTDISABLE
AD_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


@dataclass(slots=True)
class Record:
    """One directory entry as we keep it. DN lists are normalised keys (`dn_key`)."""

    kind: str
    external_id: str
    dn: str
    name: str
    email: str = ""
    mail_enabled: bool = True
    password_last_set: dt.datetime | None = None
    change: str = ""
    managers: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    co_owners: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)


def dn_key(dn: str) -> str:
    """A comparison key for DNs: case and spaces around separators do not matter. Good enough
    for the DNs directories write themselves (escaped commas stay escaped)."""
    key = dn.lower()
    if " ," in key or ", " in key:
        key = ",".join(part.strip() for part in key.split(","))
    return key


def attributes_for(conn: DirectoryConnection, kind: str) -> list[str]:
    names = [conn.id_attribute, conn.change_attribute, conn.name_attribute, conn.mail_attribute]
    if kind == "user":
        names += [conn.manager_attribute, conn.additional_manager_attribute]
        names += [conn.password_last_set_attribute, conn.account_control_attribute]
    if kind == "group":
        names += [conn.owner_attribute, conn.additional_owner_attribute]
        names += conn.member_attribute_list
    return sorted({n for n in names if n})


def to_record(conn: DirectoryConnection, kind: str, entry: dict) -> Record | None:
    """The entry as a Record, or None when it has no identifier (not something we can track)."""
    raw = entry.get("raw_attributes") or {}
    attrs = entry.get("attributes") or {}
    ident = _identifier(conn, raw.get(conn.id_attribute) or [])
    if not ident:
        return None
    dn = entry["dn"]
    record = Record(
        kind=kind,
        external_id=ident,
        dn=dn,
        name=_first(attrs, conn.name_attribute) or _rdn_value(dn),
        email=_email(_first(attrs, conn.mail_attribute)),
        change=_first(attrs, conn.change_attribute),
    )
    if kind == "user":
        _user_fields(conn, record, attrs)
    elif kind == "group":
        _group_fields(conn, record, attrs)
    return record


def _user_fields(conn: DirectoryConnection, record: Record, attrs: dict) -> None:
    managers = _dns(attrs, conn.manager_attribute)
    if conn.additional_manager_attribute and conn.additional_manager_attribute != (
        conn.manager_attribute
    ):
        managers = managers[:1] + _dns(attrs, conn.additional_manager_attribute)
    record.managers = managers
    record.password_last_set = _ad_time(_first(attrs, conn.password_last_set_attribute))
    control = _first(attrs, conn.account_control_attribute)
    if control.isdigit() and int(control) & ACCOUNT_DISABLED:
        record.mail_enabled = False


def _group_fields(conn: DirectoryConnection, record: Record, attrs: dict) -> None:
    owners = _dns(attrs, conn.owner_attribute)
    if conn.additional_owner_attribute == conn.owner_attribute:
        record.owners, record.co_owners = owners[:1], owners[1:]
    else:
        record.owners = owners[:1]
        record.co_owners = _dns(attrs, conn.additional_owner_attribute)
    members: list[str] = []
    for name in conn.member_attribute_list:
        members += _dns(attrs, name)
    record.members = members


def _identifier(conn: DirectoryConnection, values: list) -> str:
    if not values:
        return ""
    value = values[0]
    if isinstance(value, bytes) and len(value) == 16 and conn.flavor == Flavor.ACTIVE_DIRECTORY:
        return str(uuid.UUID(bytes_le=value))
    return value.decode() if isinstance(value, bytes) else str(value)


def _first(attrs: dict, name: str) -> str:
    if not name:
        return ""
    value = attrs.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _dns(attrs: dict, name: str) -> list[str]:
    if not name:
        return []
    values = attrs.get(name) or []
    if isinstance(values, str):
        values = [values]
    keys = [v.lower() for v in values]
    # One scan of the joined text finds whether any value needs more work (most never do).
    text = "\n".join(keys)
    if "#" in text:
        # uniqueMember is NameAndOptionalUID (RFC 4517): a DN optionally followed by #'0101'B.
        keys = [re.sub(r"#'[01]*'b$", "", k) for k in keys]
    if " ," in text or ", " in text:
        keys = [dn_key(k) for k in keys]
    return keys


def _email(value: str) -> str:
    """The address if it is one we could send to; otherwise none (directories hold typos)."""
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value[:254]


def _rdn_value(dn: str) -> str:
    first = dn.split(",", 1)[0]
    return first.split("=", 1)[-1]


def _ad_time(value: str) -> dt.datetime | None:
    """AD stores pwdLastSet as 100-ns intervals since 1601; 0 means "must change"."""
    if not value.isdigit() or int(value) == 0:
        return None
    return AD_EPOCH + dt.timedelta(microseconds=int(value) // 10)
