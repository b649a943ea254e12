"""Notification emails for directory events: render, split into Bcc batches, write outbox rows.

To:/CC: of the store get one message of their own (English, the store's default language). Every
other recipient is in Bcc, `NOTIFICATION_BCC_BATCH` per message, one language per message (the
recipients' language picks the template). A message with a single recipient is rendered for that
person (`recipient.name`); in a shared message `recipient` is empty, so templates should write
`{% if recipient.name %}…{% endif %}`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.template import Template, TemplateDoesNotExist, TemplateSyntaxError

from .events import DirectoryEvent, EventKind, Route
from .models import NotificationSettings, OutgoingMessage
from .outbox import enqueue, new_message
from .recipients import DEFAULT_LANGUAGE, Recipient, resolve
from .templates_store import compile_template, find_override, render

logger = logging.getLogger(__name__)

PARTS = ("subject", "body_text", "body_html")
DEFAULT_FILES = {"subject": "subject.txt", "body_text": "body.txt", "body_html": "body.html"}
OUTBOX_CHUNK = 500  # messages per bulk insert
SUBJECT_MAX = 500


@dataclass(frozen=True)
class Content:
    subject: str
    body_text: str
    body_html: str


def bcc_batch_size() -> int:
    return max(1, int(getattr(django_settings, "NOTIFICATION_BCC_BATCH", 100)))


@lru_cache(maxsize=1)
def default_templates() -> dict[str, Template]:
    folder = django_settings.BASE_DIR / "templates" / "emails" / "change"
    return {
        part: compile_template((folder / name).read_text(encoding="utf-8"))
        for part, name in DEFAULT_FILES.items()
    }


def render_content(templates: dict[str, Template | str], context: dict) -> Content:
    subject = " ".join(render(templates["subject"], context).split())[:SUBJECT_MAX]
    text = render(templates["body_text"], context)
    html_source = templates.get("body_html") or ""
    if html_source:
        html = render(html_source, context, html=True)
    else:
        html = render("{{ text|linebreaks }}", {"text": text}, html=True)
    return Content(subject, text, html)


def event_context(event: DirectoryEvent) -> dict:
    """Plain values only: templates written by admins must not reach models or secrets."""
    store = event.store
    when = event.created or datetime.now(UTC)
    actor = event.actor
    requester = (
        {"name": actor.get_full_name() or actor.get_username(), "email": actor.email}
        if actor
        else {"name": event.actor_name or Route(event.route).label, "email": ""}
    )
    obj = event.object
    return {
        "store": {"name": store.name},
        "event": {
            "kind": event.kind,
            "action": EventKind(event.kind).label,
            "route": Route(event.route).label,
            "when": when.astimezone(ZoneInfo(store.time_zone)).strftime("%Y-%m-%d %H:%M %Z"),
        },
        "object": {
            "name": event.object_name,
            "email": obj.email if obj else "",
            "kind": obj.get_kind_display() if obj else "",
        },
        "member": {"name": event.member_name} if event.member_name else None,
        "requester": requester,
        "changes": [
            {"field": name, "old": _text(old), "new": _text(new)}
            for name, (old, new) in event.changes.items()
        ],
    }


def recipient_context(recipient: Recipient | None) -> dict:
    if recipient is None:
        return {"name": "", "email": "", "language": ""}
    return {"name": recipient.name, "email": recipient.address, "language": recipient.language}


def sample_context() -> dict:
    """Sample data for the template preview and for checking an override on save."""
    return {
        "store": {"name": "Contoso AD"},
        "event": {
            "kind": EventKind.MEMBER_ADDED,
            "action": EventKind.MEMBER_ADDED.label,
            "route": Route.ADMIN_CENTER.label,
            "when": "2026-01-15 09:30 UTC",
        },
        "object": {"name": "Sales Team", "email": "sales@contoso.test", "kind": "Group"},
        "member": {"name": "Dana Scott"},
        "requester": {"name": "Alice Admin", "email": "alice@contoso.test"},
        "recipient": {"name": "Dana Scott", "email": "dana@contoso.test", "language": "en"},
        "changes": [{"field": "description", "old": "Sales", "new": "Sales (EMEA)"}],
    }


class EventRenderer:
    """Renders one event's email per language (overrides first), cached for shared messages."""

    def __init__(self, event: DirectoryEvent) -> None:
        self.event = event
        self.context = event_context(event)
        self._templates: dict[str, dict] = {}
        self._shared: dict[str, Content] = {}

    def content(self, language: str, recipient: Recipient | None = None) -> Content:
        if recipient is None and language in self._shared:
            return self._shared[language]
        context = {**self.context, "recipient": recipient_context(recipient)}
        templates = self._templates_for(language)
        try:
            content = render_content(templates, context)
        except (TemplateDoesNotExist, TemplateSyntaxError, ValidationError) as exc:
            logger.warning(
                "Email template override of store %s failed: %s", self.event.store_id, exc
            )
            content = render_content(default_templates(), context)
        if recipient is None:
            self._shared[language] = content
        return content

    def _templates_for(self, language: str) -> dict:
        if language not in self._templates:
            override = find_override(self.event.store_id, self.event.kind, language)
            if override is None:
                self._templates[language] = default_templates()
            else:
                self._templates[language] = {p: getattr(override, p) for p in PARTS}
        return self._templates[language]


def batches(recipients: Iterator[Recipient], size: int) -> Iterator[list[Recipient]]:
    """At most `size` recipients per batch, one language per batch; at most one open batch per
    language is held in memory."""
    pending: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        batch = pending.setdefault(recipient.language, [])
        batch.append(recipient)
        if len(batch) >= size:
            yield pending.pop(recipient.language)
    yield from pending.values()


def notify(event: DirectoryEvent, *, credentials: str = "", kind: str = "change") -> int:
    """Write the event's outbox rows in the caller's transaction; returns how many."""
    settings = NotificationSettings.objects.filter(store_id=event.store_id).first()
    if settings is None:
        return 0
    resolution = resolve(event, settings)
    renderer = EventRenderer(event)
    common = {
        "kind": kind,
        "triggered_by": event.actor,
        # Only kept when the mail must go out with the acting admin's own sign-in.
        "acting_credentials": "" if settings.use_smtp_auth else credentials,
    }
    pending: list[OutgoingMessage] = []
    written = 0
    if resolution.to or resolution.cc:
        content = renderer.content(DEFAULT_LANGUAGE)
        pending.append(
            _message(event, settings, content, to=resolution.to, cc=resolution.cc, **common)
        )
    for batch in batches(resolution.bcc(), bcc_batch_size()):
        single = batch[0] if len(batch) == 1 else None
        content = renderer.content(batch[0].language, single)
        pending.append(_message(event, settings, content, bcc=[r.address for r in batch], **common))
        if len(pending) >= OUTBOX_CHUNK:
            written += len(enqueue(pending))
            pending = []
    written += len(enqueue(pending))
    return written


def _message(event, settings, content: Content, **fields) -> OutgoingMessage:
    return new_message(
        event.store,
        settings,
        subject=content.subject,
        body_text=content.body_text,
        body_html=content.body_html,
        **fields,
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
