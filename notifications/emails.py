"""Notification emails for directory events: render, split into Bcc batches, write outbox rows.

To:/CC: of the store get one message of their own (English, the store's default language). Every
other recipient is in Bcc, `NOTIFICATION_BCC_BATCH` per message, one template per message (the
recipient's language picks the template). With NOTIFICATION_BCC_BATCH = 1 every message is
personal and `recipient` holds that person's name, address and language; a message shared by
several recipients leaves `recipient` empty, so templates should write
`{% if recipient.name %}…{% endif %}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.template import Template, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.html import escape

from directory.models import DirectoryEvent, EventKind, Route

from . import acting
from .expansion import DEFAULT_LANGUAGE, Recipient
from .models import EmailTemplate, NotificationSettings, OutgoingMessage, find_override
from .outbox import enqueue, new_message
from .recipients import resolve
from .templating import (
    TemplateLimitError,
    compile_template,
    mark_over_limit,
    over_limit,
    render,
)

logger = logging.getLogger(__name__)

PARTS = ("subject", "body_text", "body_html")
DEFAULT_FILES = {"subject": "subject.txt", "body_text": "body.txt", "body_html": "body.html"}
OUTBOX_CHUNK = 500  # messages per bulk insert
DEFAULT_TEMPLATE = 0
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
        # The rendered text is a SafeString (its variables were never escaped, it is plain
        # text): escape it explicitly, or a directory name like "<img src=…>" reaches the HTML.
        html = render("{{ text|linebreaks }}", {"text": escape(text)}, html=True)
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


class EventRenderer:
    """Renders one event's email, per template (an override or the default), cached for shared
    messages. Recipients whose languages resolve to the same template share messages."""

    def __init__(self, event: DirectoryEvent) -> None:
        self.event = event
        self.context = event_context(event)
        self._ids: dict[str, int] = {}
        self._templates: dict[int, dict] = {DEFAULT_TEMPLATE: default_templates()}
        self._shared: dict[int, Content] = {}
        self._overrides: dict[int, EmailTemplate] = {}

    def template_id(self, language: str) -> int:
        """The override that renders for `language` (its id), or DEFAULT_TEMPLATE."""
        if language not in self._ids:
            override = find_override(self.event.store_id, self.event.kind, language)
            if override and over_limit(override):
                override = None
            self._ids[language] = override.pk if override else DEFAULT_TEMPLATE
            if override:
                self._templates[override.pk] = {p: getattr(override, p) for p in PARTS}
                self._overrides[override.pk] = override
        return self._ids[language]

    def content(self, template_id: int, recipient: Recipient | None = None) -> Content:
        if recipient is None and template_id in self._shared:
            return self._shared[template_id]
        context = {**self.context, "recipient": recipient_context(recipient)}
        try:
            content = render_content(self._templates[template_id], context)
        except (TemplateDoesNotExist, TemplateSyntaxError, ValidationError) as exc:
            content = self._fallback(template_id, exc, context)
        if recipient is None:
            self._shared[template_id] = content
        return content

    def _fallback(self, template_id: int, exc: Exception, context: dict) -> Content:
        """The default text instead of a failed override, for the rest of this event too."""
        reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        message = "Email template override of store %s failed (template %s), default text sent: %s"
        logger.warning(message, self.event.store_id, template_id, reason)
        if isinstance(exc, TemplateLimitError):
            mark_over_limit(self._overrides[template_id])
        self._templates[template_id] = default_templates()
        return render_content(default_templates(), context)


def by_language(recipient: Recipient) -> str:
    return recipient.language


def batches(
    recipients: Iterable[Recipient],
    size: int,
    key: Callable[[Recipient], Hashable] | None = by_language,
) -> Iterator[list[Recipient]]:
    """At most `size` recipients per batch, one `key` (template, by default language) per batch;
    at most one open batch per key is held in memory. `key=None`: one key for all."""
    if key is None:
        yield from _chunks(recipients, size)
        return
    pending: dict[Hashable, list[Recipient]] = {}
    for recipient in recipients:
        batch = pending.setdefault(key(recipient), [])
        batch.append(recipient)
        if len(batch) >= size:
            yield pending.pop(key(recipient))
    yield from pending.values()


def _chunks(recipients: Iterable[Recipient], size: int) -> Iterator[list[Recipient]]:
    iterator = iter(recipients)
    while batch := list(islice(iterator, size)):
        yield batch


# Per-store lookups that `notify` makes for every event, kept for the length of a
# `store_lookups_once` block; None outside one.
_lookups: ContextVar[dict[tuple[str, int], object] | None] = ContextVar(
    "notification_store_lookups", default=None
)


@contextmanager
def store_lookups_once() -> Iterator[None]:
    """Within the block, `notify` reads each store's notification settings (and whether it has
    templates in other languages) once instead of once per event.

    For callers that apply many changes in one go (directory sync): an edit of the settings made
    while the block runs applies from the next block on. Everyone else reads them per event.
    """
    token = _lookups.set({})
    try:
        yield
    finally:
        _lookups.reset(token)


def _per_store(name: str, store_id: int, read: Callable[[], object]):
    cache = _lookups.get()
    if cache is None:
        return read()
    key = (name, store_id)
    if key not in cache:
        cache[key] = read()
    return cache[key]


def notify(event: DirectoryEvent, *, credentials: str = "", kind: str = "change") -> int:
    """Write the event's outbox rows in the caller's transaction; returns how many."""
    settings = _per_store(
        "settings",
        event.store_id,
        lambda: NotificationSettings.objects.filter(store_id=event.store_id).first(),
    )
    if settings is None:
        return 0
    resolution = resolve(event, settings)
    renderer = EventRenderer(event)
    size = bcc_batch_size()
    common = {
        "kind": kind,
        "triggered_by": event.actor,
        # Only kept when the mail must go out with the acting admin's own sign-in; held at once
        # when that admin has not trusted the store's server (notifications/acting.py).
        **acting.queue_fields(settings, event.actor, credentials),
    }
    pending: list[OutgoingMessage] = []
    written = 0
    if resolution.to or resolution.cc:
        content = renderer.content(renderer.template_id(DEFAULT_LANGUAGE))
        pending.append(
            _message(event, settings, content, to=resolution.to, cc=resolution.cc, **common)
        )

    def template_of(recipient: Recipient) -> int:
        return renderer.template_id(recipient.language)

    # Without details every member has the default language: one template for all.
    details = _needs_details(event)
    for batch in batches(resolution.bcc(details=details), size, template_of if details else None):
        single = batch[0] if len(batch) == 1 else None
        content = renderer.content(template_of(batch[0]), single)
        pending.append(_message(event, settings, content, bcc=[r.address for r in batch], **common))
        if len(pending) >= OUTBOX_CHUNK:
            written += len(enqueue(pending))
            pending = []
    written += len(enqueue(pending))
    return written


def _needs_details(event: DirectoryEvent) -> bool:
    """Names and languages of members matter only for personal messages (a Bcc batch of one) or
    when the store has templates in other languages; otherwise addresses alone are read."""
    if bcc_batch_size() == 1:
        return True
    return _per_store(
        "translated",
        event.store_id,
        lambda: (
            EmailTemplate.objects.filter(store_id=event.store_id).exclude(language="en").exists()
        ),
    )


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
