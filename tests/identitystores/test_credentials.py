"""The one credentials decoder (identitystores/credentials.py) and the one sign-in page
(dirmgr/signin.py): sessions and outbox rows written before the move still read back, and the
sign-in page lives at the project top, not inside a lower layer."""

import ast
import importlib.util
import json
from pathlib import Path

from django.contrib.sessions.backends.db import SessionStore
from django.urls import resolve

from core import crypto
from dirmgr import signin
from identitystores import credentials
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


class Request:
    """What the helpers read from a request: its session."""

    def __init__(self, session=None):
        self.session = SessionStore() if session is None else session


def test_decode_reads_what_encode_wrote():
    assert credentials.decode(credentials.encode("alice", PASSWORD)) == ("alice", PASSWORD)


def test_decode_reads_an_outbox_row_queued_before_the_move():
    queued = json.dumps({"username": "alice", "password": PASSWORD})
    assert credentials.decode(queued) == ("alice", PASSWORD)


def test_decode_gives_blanks_for_no_or_unreadable_credentials():
    assert [credentials.decode(text) for text in ("", "{not json")] == [("", ""), ("", "")]


def test_a_session_signed_in_before_the_move_keeps_its_credentials(db):
    request = Request()
    token = crypto.encrypt(json.dumps({"username": "alice", "password": PASSWORD}))
    request.session["dirmgr_smtp_credentials"] = token

    assert credentials.from_session(request) == ("alice", PASSWORD)


def test_a_session_without_readable_credentials_gives_blanks(db):
    request = Request()
    assert credentials.from_session(request) == ("", "")
    assert credentials.for_outbox(request) == ""
    request.session[credentials.SESSION_KEY] = "not-a-token"
    assert credentials.from_session(request) == ("", "")


def test_signing_in_keeps_them_encrypted_for_the_outbox(client, alice):
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    request = Request(client.session)

    assert PASSWORD not in request.session["dirmgr_smtp_credentials"]
    assert credentials.decode(credentials.for_outbox(request)) == ("alice", PASSWORD)


def test_the_sign_in_page_is_the_project_tops_one_view_and_form():
    view = resolve("/login/").func.view_class
    assert view is signin.SignInView
    assert view.authentication_form is signin.StoreSignInForm
    assert importlib.util.find_spec("ldapsync.signin") is None
    assert importlib.util.find_spec("identitystores.signin") is None


def test_the_credentials_decoder_imports_no_higher_layer():
    tree = ast.parse((ROOT / "identitystores" / "credentials.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    higher = {"ldapsync", "lifecycle", "notifications", "catcher"}
    assert imported and not {name.split(".")[0] for name in imported} & higher
