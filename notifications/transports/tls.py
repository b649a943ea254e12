"""Trust for outgoing TLS (SMTP, token endpoint, Graph): the system CAs plus `SMTP_CA_BUNDLE`.

Built once per process and per bundle path: building an SSL context costs ~20 ms, which would
dominate sending if done per connection.
"""

from __future__ import annotations

import functools
import hashlib
import ssl
import tempfile
from pathlib import Path

from django.conf import settings


def client_context() -> ssl.SSLContext:
    """The verifying client context for aiosmtplib (hostname checked, certificate required)."""
    return _context(settings.SMTP_CA_BUNDLE)


def ca_file() -> str:
    """A PEM file with the system CAs and the extra bundle, for `requests` (`verify=`)."""
    return _ca_file(settings.SMTP_CA_BUNDLE)


@functools.cache
def _context(bundle: str) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if bundle:
        context.load_verify_locations(cafile=bundle)
    return context


@functools.cache
def _ca_file(bundle: str) -> str:
    system = ssl.get_default_verify_paths().cafile
    pem = Path(system).read_bytes() if system else b""
    if not bundle:
        return system or ""
    pem += b"\n" + Path(bundle).read_bytes()
    name = hashlib.sha256(pem).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"dirmgr-ca-{name}.pem"
    if not path.exists():
        path.write_bytes(pem)
    return str(path)
