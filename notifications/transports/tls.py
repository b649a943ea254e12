"""Trust for outgoing TLS (SMTP, token endpoint, Graph): the system CAs plus `SMTP_CA_BUNDLE`.

Built once per process and per bundle path: building an SSL context costs ~20 ms, which would
dominate sending if done per connection.
"""

from __future__ import annotations

import functools
import hashlib
import os
import ssl
import tempfile
from pathlib import Path

from django.conf import settings


def client_context() -> ssl.SSLContext:
    """The verifying client context for aiosmtplib (hostname checked, certificate required)."""
    return _context(settings.SMTP_CA_BUNDLE)


def ca_file() -> str | bool:
    """For `requests`' `verify=`: a PEM file with the system CAs and the extra bundle (True:
    requests' own CA list, when the system has no CA file and no bundle is set)."""
    return _ca_file(settings.SMTP_CA_BUNDLE)


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
