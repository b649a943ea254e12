"""The stock email templates: the default text of each family of messages, and which override
kind replaces it.

Kept apart from `compose.py` because the Templates pages read them too (to show and reset the
default text), and because they are files compiled once per process, not per message.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings as django_settings
from django.template import Template

from .templating import compile_template

PARTS = ("subject", "body_text", "body_html")
# The stock templates of each family (under templates/), part by part.
TEMPLATE_FILES = {
    "change": {
        "subject": "emails/change/subject.txt",
        "body_text": "emails/change/body.txt",
        "body_html": "emails/change/body.html",
    },
    **{
        family: {
            "subject": f"lifecycle/email/{family}_subject.txt",
            "body_text": f"lifecycle/email/{family}_body_text.txt",
            "body_html": f"lifecycle/email/{family}_body_html.html",
        }
        for family in ("notice", "password", "digest")
    },
    "test": {
        "subject": "emails/test/subject.txt",
        "body_text": "emails/test/body.txt",
        "body_html": "emails/test/body.html",
    },
}
# The override kind (EmailTemplate.kind) of each family of notices.
NOTICE_KIND = {
    "notice": "lifecycle-notice",
    "password": "password-warning",
    "digest": "password-digest",
    "test": "test-message",
}


@lru_cache(maxsize=len(TEMPLATE_FILES))
def load_templates(family: str) -> dict[str, Template]:
    """The stock templates of `family` ("change" or a key of NOTICE_KIND), compiled once."""
    folder = django_settings.BASE_DIR / "templates"
    return {
        part: compile_template((folder / path).read_text(encoding="utf-8"))
        for part, path in TEMPLATE_FILES[family].items()
    }
