"""Reading the directory in child processes, so the first import writes while it reads.

Decoding LDAP results (ldap3) and inserting rows (the database driver) are both CPU work. In one
process they take turns, and threads do not help: the driver gives up the interpreter lock around
every row it inserts and waits to get it back while the reader holds it. Child processes read
and decode, page by page; this process writes meanwhile.

Two children run at once, one reading the users and contacts, the other the groups, and this
process takes each page as soon as it is ready, whatever its kind (the import resolves members
in whichever order their entries arrive). Pages go through a temporary file, not a pipe: a pipe
holds 64 KB, so a child could never get ahead of this process. The child writes each page to
the file, then announces it with one byte on its stdout.

Each child receives the connection settings (the bind password included) on its stdin, never in
its arguments or environment, and reports a directory error as an announcement, so this process
raises the same `DirectoryError` it would have raised itself.
"""

from __future__ import annotations

import os
import pickle
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO

from django.conf import settings as django_settings
from django.forms.models import model_to_dict

from .connection import DirectoryError
from .mapping import Record
from .models import DirectoryConnection

PAGE, ERROR, DONE = b"p", b"e", b"d"
CHILD = "import django; django.setup(); from ldapsync.fetch import serve; serve()"
# The filters each child keeps; the others are blanked, so it reads only its kinds.
SHARES = (("user_filter", "contact_filter"), ("group_filter",))
FILTERS = ("user_filter", "contact_filter", "group_filter")


def record_pages(conn: DirectoryConnection) -> Iterator[list[Record]]:
    """Every page of users, contacts and groups, in the order they are ready: two child
    processes read at once, one the users and contacts, the other the groups. An entry matching
    two kinds' filters is yielded once."""
    settings = model_to_dict(conn, exclude=["id", "store"])
    settings["bind_password"] = conn.bind_password
    seen: set[str] = set()
    with ExitStack() as stack, selectors.DefaultSelector() as ready:
        for filters in SHARES:
            reader = stack.enter_context(_Reader(_share(settings, filters)))
            ready.register(reader.announcements, selectors.EVENT_READ, reader)
        while ready.get_map():
            for key, _events in ready.select():
                page = key.data.next_page()
                if page is None:
                    ready.unregister(key.fileobj)
                    continue
                page = [r for r in page if r.external_id not in seen]
                seen.update(r.external_id for r in page)
                yield page


def _share(settings: dict, keep: tuple[str, ...]) -> dict:
    return {**settings, **{name: "" for name in FILTERS if name not in keep}}


class _Reader:
    """One child process and the temporary file its pages arrive in. The child announces each
    page with one byte on its stdout once the page is in the file (single bytes, read
    unbuffered, so waiting on both children's stdout at once never misses one)."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings

    def __enter__(self) -> _Reader:
        self.errors = tempfile.TemporaryFile()
        fd, path = tempfile.mkstemp(prefix="ldap-import-")
        try:
            self.data = open(path, "rb")  # noqa: SIM115 - closed in __exit__
        finally:
            os.unlink(path)  # only the open descriptors keep it
        try:
            self.child = subprocess.Popen(
                [sys.executable, "-c", CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.errors,
                pass_fds=(fd,),
                cwd=django_settings.BASE_DIR,
                env={"DJANGO_SETTINGS_MODULE": "dirmgr.settings", **os.environ},
            )
        finally:
            os.close(fd)
        self.announcements = self.child.stdout.fileno()
        pickle.dump((self.settings, fd), self.child.stdin)
        self.child.stdin.close()
        return self

    def next_page(self) -> list[Record] | None:
        """The page just announced, or None when the child is done."""
        kind = os.read(self.announcements, 1)
        if kind == PAGE:
            return pickle.load(self.data)
        if kind == DONE:
            return None
        if kind == ERROR:
            error = pickle.load(self.data)
            raise DirectoryError(error["message"], result=error["result"])
        self.child.wait()
        raise DirectoryError(
            f"The directory reader stopped unexpectedly: {_last_line(self.errors)}"
        )

    def __exit__(self, *exc) -> None:
        self.child.stdout.close()
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        self.data.close()
        self.errors.close()


def _last_line(errors: IO[bytes]) -> str:
    """The child's last words (its exception), for the log and the status line."""
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return lines[-1][:300] if lines else "no message"


def serve() -> None:
    """Child side: write every page (or the directory error) to the file, then announce it."""
    from .connection import session
    from .reader import record_pages as read_pages

    settings, fd = pickle.load(sys.stdin.buffer)
    conn = DirectoryConnection(**settings)
    with os.fdopen(fd, "wb") as data:
        try:
            with session(conn) as ldap:
                for page in read_pages(ldap, conn):
                    _hand_over(data, PAGE, page)
        except DirectoryError as exc:
            _hand_over(data, ERROR, {"message": str(exc), "result": exc.result})
            return
    os.write(sys.stdout.fileno(), DONE)


def _hand_over(data: IO[bytes], kind: bytes, value: object) -> None:
    pickle.dump(value, data, protocol=pickle.HIGHEST_PROTOCOL)
    data.flush()
    os.write(sys.stdout.fileno(), kind)
