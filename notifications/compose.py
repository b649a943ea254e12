"""Composing notification mail: templates, their context, rendering, Bcc batches, the outbox row.

One place builds every message `notify` writes (change notifications, life-cycle notices,
password-expiry warnings), so they render, fall back and address the same way. The stock
templates are in `stock_templates.py`, the values a template may read in `template_context.py`.

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
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.template import Template, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.html import escape

from core.chunks import chunks
from directory.models import DirectoryEvent
from identitystores.models import IdentityStore

from .expansion import Recipient
from .models import EmailTemplate, NotificationSettings, OutgoingMessage, find_override
from .outbox import new_message
from .stock_templates import PARTS, load_templates
from .template_context import event_context, recipient_context
from .templating import (
    TemplateLimitError,
    mark_over_limit,
    over_limit,
    render,
)

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = 0
SUBJECT_MAX = 500


@dataclass(frozen=True)
class Content:
    subject: str
    body_text: str
    body_html: str


def bcc_batch_size() -> int:
    return max(1, int(getattr(django_settings, "NOTIFICATION_BCC_BATCH", 100)))


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


class EventRenderer:
    """Renders one event's email, per template (an override or the default), cached for shared
    messages. Recipients whose languages resolve to the same template share messages."""

    def __init__(self, event: DirectoryEvent) -> None:
        self.event = event
        self.context = event_context(event)
        self._ids: dict[str, int] = {}
        self._templates: dict[int, dict] = {DEFAULT_TEMPLATE: load_templates("change")}
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
        self._templates[template_id] = load_templates("change")
        return render_content(load_templates("change"), context)


def render_notice(family: str, context: dict, override: EmailTemplate | None) -> Content:
    """A notice rendered from the store's `override` when it has one that renders, else from
    the default text. An override that fails (over a limit, a bad filter argument) is logged,
    sent as the default text, and not tried again in this process until it is edited."""
    if override is None or over_limit(override):
        return render_content(load_templates(family), context)
    try:
        return render_content({p: getattr(override, p) for p in PARTS}, context)
    except (TemplateDoesNotExist, TemplateSyntaxError, ValidationError) as exc:
        reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        message = "Email template override %s of store %s failed, default text sent: %s"
        logger.warning(message, override.pk, override.store_id, reason)
        if isinstance(exc, TemplateLimitError):
            mark_over_limit(override)
        return render_content(load_templates(family), context)


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
        yield from chunks(recipients, size)
        return
    pending: dict[Hashable, list[Recipient]] = {}
    for recipient in recipients:
        batch = pending.setdefault(key(recipient), [])
        batch.append(recipient)
        if len(batch) >= size:
            yield pending.pop(key(recipient))
    yield from pending.values()


def build_message(
    store: IdentityStore, settings: NotificationSettings, content: Content, **fields
) -> OutgoingMessage:
    """The unsaved outbox row carrying `content`; `fields` address it (to/cc/bcc, kind, …)."""
    return new_message(
        store,
        settings,
        subject=content.subject,
        body_text=content.body_text,
        body_html=content.body_html,
        **fields,
    )
