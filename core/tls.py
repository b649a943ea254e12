"""Trust for outgoing TLS (SMTP, token endpoint, Graph, LDAPS): the system CAs plus
`DIRMGR_CA_BUNDLE`.

One setting for every client, so an internal CA is trusted the same way by mail and directory
connections. Built once per process and per bundle path: building an SSL context costs ~20 ms,
which would dominate sending if done per connection. The bundle's old name, `SMTP_CA_BUNDLE`, is
still read; `legacy_ca_bundle` (a system check) asks to rename it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import ssl
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.checks import Warning

LEGACY_VARIABLE = "SMTP_CA_BUNDLE"


def client_context() -> ssl.SSLContext:
    """The verifying client context for aiosmtplib (hostname checked, certificate required)."""
    return _context(settings.DIRMGR_CA_BUNDLE)


def ca_file() -> str | bool:
    """For `requests`' `verify=`: a PEM file with the system CAs and the extra bundle (True:
    requests' own CA list, when the system has no CA file and no bundle is set)."""
    return _ca_file(settings.DIRMGR_CA_BUNDLE)


def legacy_ca_bundle(app_configs=None, **kwargs) -> list[Warning]:
    """A system check: the old variable name still works, but only while the new one is unset."""
    if LEGACY_VARIABLE not in os.environ and f"{LEGACY_VARIABLE}_FILE" not in os.environ:
        return []
    return [
        Warning(
            f"{LEGACY_VARIABLE} is the old name of DIRMGR_CA_BUNDLE, which is trusted for SMTP, "
            "token endpoints, Graph and LDAPS.",
            hint="Rename SMTP_CA_BUNDLE to DIRMGR_CA_BUNDLE; the old name is ignored once "
            "DIRMGR_CA_BUNDLE is set.",
            id="core.W001",
        )
    ]


@functools.cache
def _context(bundle: str) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if bundle:
        context.load_verify_locations(cafile=bundle)
    return context


@functools.cache
def _ca_file(bundle: str) -> str | bool:
    system = ssl.get_default_verify_paths().cafile
    if not bundle:
        return system or True
    pem = (Path(system).read_bytes() if system else b"") + b"\n" + Path(bundle).read_bytes()
    path = Path(tempfile.gettempdir()) / f"dirmgr-ca-{hashlib.sha256(pem).hexdigest()[:16]}.pem"
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_bytes(pem)
        partial.replace(path)  # atomic: a concurrent worker never reads half a file
    return str(path)
