"""The Directory connection page's address and form, for the tests that post it (the page, the
connection probe, the CA bundle, error reports)."""

import html
import re

from django.urls import reverse

from ldapsync.forms import initial_for
from tests.support.ldap_server import SUFFIX, SYNC_DN


def url(store):
    return reverse("ldapsync:connection", args=[store.pk])


def form_data(slapd, **overrides):
    data = {
        **initial_for(type("S", (), {"type": "ldap"})()),
        "urls": slapd.ldap_url,
        "ca_certificate": slapd.ca_path.read_text(),
        "bind_dn": SYNC_DN,
        "bind_password": "",
        "base_dn": SUFFIX,
        "timeout": 5,
        "page_size": 100,
        "sync_enabled": "on",
        "write_back": "on",
    }
    return data | overrides


def field_errors(page: str, name: str) -> list[str]:
    """The error paragraphs rendered next to form field `name` (see templates/_field.html)."""
    pattern = rf'<p class="error" role="alert" id="id_{name}_error">(.*?)</p>'
    return [html.unescape(text) for text in re.findall(pattern, page)]
