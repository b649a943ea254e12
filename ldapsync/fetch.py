"""Reading the directory in a child process, so the first import writes while it reads.

Decoding LDAP results (ldap3) and inserting rows (the database driver) are both CPU work. In one
process they take turns, and threads do not help: the driver gives up the interpreter lock around
every row it inserts and waits to get it back while the reader holds it. A child process reads
and decodes, page by page, and hands the pages over a pipe; this process writes them meanwhile.

The child receives the connection settings (the bind password included) on its stdin, never in
its arguments or environment, and reports a directory error as a frame, so the parent raises the
same `DirectoryError` it would have raised itself.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator

from django.conf import settings as django_settings
from django.forms.models import model_to_dict

from .connection import DirectoryError
from .mapping import Record
from .models import DirectoryConnection

PAGE, ERROR, DONE = "page", "error", "done"
CHILD = "import django; django.setup(); from ldapsync.fetch import serve; serve()"


def record_pages(conn: DirectoryConnection) -> Iterator[list[Record]]:
    """The pages `reader.record_pages` would yield, read by a child process."""
    settings = model_to_dict(conn, exclude=["id", "store"])
    settings["bind_password"] = conn.bind_password
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=django_settings.BASE_DIR,
            env={"DJANGO_SETTINGS_MODULE": "dirmgr.settings", **os.environ},
        )
        try:
            pickle.dump(settings, child.stdin)
            child.stdin.close()
            yield from _frames(child, errors)
        finally:
            child.stdout.close()
            if child.poll() is None:
                child.kill()
            child.wait()


def _frames(child: subprocess.Popen, errors) -> Iterator[list[Record]]:
    while True:
        try:
            kind, data = pickle.load(child.stdout)
        except EOFError:
            child.wait()
            raise DirectoryError(
                f"The directory reader stopped unexpectedly: {_last_line(errors)}"
            ) from None
        if kind == PAGE:
            yield data
        elif kind == ERROR:
            raise DirectoryError(data["message"], result=data["result"])
        else:
            return


def _last_line(errors) -> str:
    """The child's last words (its exception), for the log and the status line."""
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return lines[-1][:300] if lines else "no message"


def serve() -> None:
    """Child side: read every page and write it to stdout."""
    from .connection import session
    from .reader import record_pages as read_pages

    conn = DirectoryConnection(**pickle.load(sys.stdin.buffer))
    out = sys.stdout.buffer
    try:
        with session(conn) as ldap:
            for page in read_pages(ldap, conn):
                pickle.dump((PAGE, page), out, protocol=pickle.HIGHEST_PROTOCOL)
    except DirectoryError as exc:
        pickle.dump((ERROR, {"message": str(exc), "result": exc.result}), out)
    pickle.dump((DONE, None), out)
    out.flush()
