"""`manage.py import_directory`: CSV and LDIF, dry run, rejected rows with reasons."""

import base64
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from directory.models import AdditionalOwner, DirectoryEvent, DirectoryObject, GroupMembership
from notifications.models import OutgoingMessage

CSV = """kind,name,email,mail_enabled,security_type,manager,owner,additional_owners,members
group,Sales,sales@contoso.test,,public,,Ann,Leads,Ann;carl@partner.test;EMEA
user,Ann,ann@contoso.test,true,,bea@contoso.test,,,
user,Bea,bea@contoso.test,no,,,,,
contact,Carl,carl@partner.test,,,,,,
group,EMEA,,,private,,,,Bea;Sales
group,Leads,,,,,,,Bea
"""


def run(tmp_path, text, *args, name="people.csv", binary=False):
    path = tmp_path / name
    path.write_bytes(text) if binary else path.write_text(text)
    out = StringIO()
    call_command("import_directory", str(path), "--store", "Contoso AD", *args, stdout=out)
    return out.getvalue()


def obj(name):
    return DirectoryObject.objects.get(name=name)


def members(group):
    return set(
        GroupMembership.objects.filter(group=obj(group)).values_list("member__name", flat=True)
    )


def test_it_imports_objects_and_relations_in_any_order(tmp_path, contoso, capsys):
    out = run(tmp_path, CSV)
    assert out == "Imported: 6 created, 0 updated, 0 unchanged, 9 relations; 0 rejected.\n"
    assert members("Sales") == {"Ann", "Carl", "EMEA"}
    assert members("EMEA") == {"Bea", "Sales"}  # a cycle is allowed
    assert obj("Sales").primary_owner == obj("Ann")
    assert obj("Sales").security_type == "public"
    assert obj("Ann").primary_manager == obj("Bea")
    assert obj("Bea").mail_enabled is False
    assert AdditionalOwner.objects.get().owner == obj("Leads")
    assert DirectoryEvent.objects.filter(route="management-shell").count() == 6 + 9
    progress = capsys.readouterr().err
    assert "objects: 6 rows" in progress and "relations: 100%" in progress


def test_it_sends_no_notification_unless_asked(tmp_path, contoso, contoso_mail):
    contoso_mail.to_recipients = "audit@contoso.test"
    contoso_mail.save()
    run(tmp_path, CSV)
    assert OutgoingMessage.objects.count() == 0
    DirectoryObject.objects.all().delete()
    run(tmp_path, CSV, "--notify")
    assert OutgoingMessage.objects.count() == 6 + 9


def test_it_is_idempotent(tmp_path, contoso):
    run(tmp_path, CSV)
    out = run(tmp_path, CSV)
    assert out == "Imported: 0 created, 0 updated, 6 unchanged, 0 relations; 0 rejected.\n"
    assert DirectoryObject.objects.count() == 6


def test_it_keeps_nothing_in_a_dry_run(tmp_path, contoso):
    out = run(tmp_path, CSV, "--dry-run")
    assert out.endswith(
        "Would import: 6 created, 0 updated, 0 unchanged, 9 relations; 0 rejected. "
        "Dry run: nothing was kept.\n"
    )
    assert not DirectoryObject.objects.exists()
    assert not DirectoryEvent.objects.exists()


def test_it_rejects_bad_rows_with_reasons_and_imports_the_rest(tmp_path, contoso):
    text = (
        "kind,name,email,mail_enabled,owner,members\n"
        "robot,R2,,,,\n"
        "user,Ann,not-an-address,,,\n"
        "user,Bea,bea@contoso.test,maybe,,\n"
        "user,Dan,dan@contoso.test,,,\n"
        "group,Ops,,,Dan,Dan;Nobody\n"
        "user,,,,,\n"
        "user,Eve,eve@contoso.test,,,Dan\n"
    )
    out = run(tmp_path, text)
    assert out.splitlines() == [
        "Rejected row 2 (R2): kind must be one of user, contact, group, not 'robot'.",
        "Rejected row 3 (Ann): email: Enter a valid email address.",
        "Rejected row 4 (Bea): mail_enabled must be true or false, not 'maybe'.",
        "Rejected row 7 ((no name)): name is required.",
        "Rejected row 6 (Ops): Member 'Nobody' was not found. "
        "None of the row's relations were applied.",
        "Rejected row 8 (Eve): Only groups have owners and members; Eve is a user. "
        "None of the row's relations were applied.",
        "Imported: 3 created, 0 updated, 0 unchanged, 0 relations; 6 rejected.",
    ]
    assert set(DirectoryObject.objects.values_list("name", flat=True)) == {"Dan", "Ops", "Eve"}
    assert obj("Ops").primary_owner is None  # not half-applied
    assert members("Ops") == set()


def test_it_refuses_a_file_with_unknown_columns(tmp_path, contoso):
    with pytest.raises(CommandError, match="Unknown or missing columns \\(colour\\)"):
        run(tmp_path, "kind,name,colour\nuser,Ann,red\n")
    assert not DirectoryObject.objects.exists()


GUID = bytes(range(16))
LDIF = f"""version: 1

dn: CN=Ann Lee,OU=People,DC=contoso,DC=test
objectClass: top
objectClass: person
objectClass: user
cn: Ann Lee
displayName: Ann Lee
mail: ann@contoso.test
manager: CN=Bea Boss,OU=People,DC=contoso,DC=test
objectGUID:: {base64.b64encode(GUID).decode()}
pwdLastSet: 133800000000000000

dn: CN=Bea Boss,OU=People,DC=contoso,DC=test
objectClass: user
cn: Bea Boss
mail: bea@contoso.test

dn: CN=Partner,OU=Contacts,DC=contoso,DC=test
objectClass: contact
cn: Partner
mail: partner@partner.test

dn: CN=Sales,OU=Groups,DC=contoso,DC=test
objectClass: group
cn: Sales
mail: sales@contoso.test
managedBy: CN=Bea Boss,OU=People,DC=contoso,DC=test
member: CN=Ann Lee,OU=People,DC=contoso,DC=test
member: CN=Partner,OU=Contacts,DC=contoso,DC=test
member: CN=Inner,OU=Groups,DC=contoso,DC=test

dn: CN=Inner,OU=Groups,DC=contoso,DC=test
objectClass: group
cn: Inner
member: CN=Bea Boss,OU=People,DC=contoso,DC=test

dn: CN=Printer,DC=contoso,DC=test
objectClass: device
cn: Printer
"""


def test_it_imports_a_directory_export_in_ldif(tmp_path, contoso):
    out = run(tmp_path, LDIF.encode(), name="export.ldif", binary=True)
    assert out.splitlines() == [
        "Rejected row 6 (CN=Printer,DC=contoso,DC=test): Unsupported objectClass device.",
        "Imported: 5 created, 0 updated, 0 unchanged, 6 relations; 1 rejected.",
    ]
    ann = obj("Ann Lee")
    assert ann.external_id == GUID.hex()
    assert ann.primary_manager == obj("Bea Boss")
    assert ann.password_last_set == datetime(2024, 12, 30, 2, 40, tzinfo=UTC)
    assert obj("Partner").kind == "contact"
    assert members("Sales") == {"Ann Lee", "Partner", "Inner"}
    assert members("Inner") == {"Bea Boss"}
    assert obj("Sales").primary_owner == obj("Bea Boss")
    assert obj("Bea Boss").external_id == "cn=bea boss,ou=people,dc=contoso,dc=test"
    again = run(tmp_path, LDIF.encode(), name="export.ldif", binary=True)
    assert "0 created, 0 updated, 5 unchanged, 0 relations" in again
