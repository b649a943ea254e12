"""`manage.py import_directory` with files it cannot read: a plain message naming the line, a
non-zero exit without a traceback, and nothing of the file kept."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError

from directory.models import DirectoryObject
from tests.directory.test_import_directory import run
from tests.support.workers import database_url

ROOT = Path(__file__).resolve().parents[2]
LATIN1_CSV = "kind,name\nuser,Ann\nuser,José\nuser,Cid\n".encode("latin-1")


def test_it_refuses_a_csv_file_that_is_not_utf8_and_keeps_nothing(tmp_path, contoso):
    with pytest.raises(CommandError) as refused:
        run(tmp_path, LATIN1_CSV, binary=True)

    assert str(refused.value) == (
        "Line 3 is not UTF-8 text (byte 9 of the line). Save the file as UTF-8 and import it "
        "again. Nothing was imported."
    )
    assert not DirectoryObject.objects.exists()  # Ann, on line 2, was rolled back


def test_it_refuses_a_csv_field_over_the_readers_limit_and_keeps_nothing(tmp_path, contoso):
    members = ";".join(f"member{i}@contoso.test" for i in range(7000))  # ~150,000 characters
    text = f"kind,name,members\nuser,Ann,\ngroup,All,{members}\n"

    with pytest.raises(CommandError) as refused:
        run(tmp_path, text)

    assert str(refused.value) == (
        "Line 3: a field is longer than 131,072 characters. Split a long members list over "
        "several rows of the same group. Nothing was imported."
    )
    assert not DirectoryObject.objects.exists()


def test_it_rejects_an_oversized_value_by_name_and_imports_the_other_rows(tmp_path, contoso):
    out = run(tmp_path, f"kind,name,email\nuser,Ann,\nuser,Ben,{'b' * 250}@contoso.test\n")

    assert "Rejected row 3 (Ben): email: Ensure this value has at most 254 characters" in out
    assert list(DirectoryObject.objects.values_list("name", flat=True)) == ["Ann"]


def test_it_refuses_an_ldif_file_that_is_not_utf8(tmp_path, contoso):
    text = b"dn: cn=Ann,dc=x\nobjectClass: person\ncn: Ann\n\ndn: cn=Jos\xe9,dc=x\n"

    with pytest.raises(CommandError, match=r"^Line 5 is not UTF-8 text \(byte 11 of the line\)"):
        run(tmp_path, text, name="export.ldif", binary=True)

    assert not DirectoryObject.objects.exists()


def test_it_rejects_an_ldif_entry_whose_base64_value_is_not_utf8(tmp_path, contoso):
    latin1 = base64.b64encode("José".encode("latin-1")).decode()
    text = (
        f"dn: cn=Ann,dc=x\nobjectClass: person\ncn: Ann\n\n"
        f"dn: cn=Jose,dc=x\nobjectClass: person\ncn:: {latin1}\n"
    )

    out = run(tmp_path, text.encode(), name="export.ldif", binary=True)

    assert "Rejected row 2 (cn=Jose,dc=x): cn is not UTF-8 text." in out
    assert list(DirectoryObject.objects.values_list("name", flat=True)) == ["Ann"]


@pytest.mark.django_db(transaction=True)  # the command runs in another process
def test_the_command_exits_non_zero_without_a_traceback(tmp_path, contoso):
    path = tmp_path / "people.csv"
    path.write_bytes(LATIN1_CSV)
    env = {**os.environ, "DATABASE_URL": database_url(), "DIRMGR_VAR_DIR": str(tmp_path)}

    done = subprocess.run(
        [sys.executable, "manage.py", "import_directory", str(path), "--store", "Contoso AD"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "CommandError: Line 3 is not UTF-8 text" in done.stderr
    assert "Traceback" not in done.stderr
    assert not DirectoryObject.objects.exists()
