"""The one way into notifications from other apps: mail a directory change, a life-cycle notice or
a password-expiry warning, and read a store's notification settings.

Each call writes its outbox rows in the caller's transaction (the one that also changes the
directory and the item's state), so mail goes out only for what was committed. Messages are
built by `compose`; who receives them comes from `recipients` and `expansion`.

Change notifications: To:/CC: of the store get one message of their own, every other recipient
is in Bcc batches (see compose). Life-cycle notices reach the objects the job names (a group
reaches all its members, nested groups included), each address once, in Bcc batches; the store's
To:/CC: receive a copy in a message of their own, as they receive every notification of the
store. Password-expiry warnings are personal (one user's expiry date): one message to the user,
no copy to To:/CC: — they learn of each membership change of the group from its change
notification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from core.chunks import chunks
from directory.models import DirectoryEvent, DirectoryObject
from identitystores.models import IdentityStore

from . import acting
from .compose import (
    Content,
    EventRenderer,
    batches,
    bcc_batch_size,
    build_message,
    load_templates,
    recipient_context,
    render_content,
)
from .expansion import DEFAULT_LANGUAGE, Recipient, expand
from .models import EmailTemplate, NotificationSettings, OutgoingMessage
from .outbox import enqueue
from .provenance import record, to_cc_record
from .recipients import resolve, store_to_cc

OUTBOX_CHUNK = 500  # messages per bulk insert
LIFECYCLE_KIND = "lifecycle"
PASSWORD_KIND = "password-expiry"

# Per-store lookups that `notify` makes for every event, kept for the length of a
# `store_lookups_once` block; None outside one.
_lookups: ContextVar[dict[tuple[str, int], object] | None] = ContextVar(
    "notification_store_lookups", default=None
)


@dataclass(frozen=True)
class Notice:
    """What happened, in the admin's words: a subject, one sentence, and labelled details."""

    subject: str
    headline: str
    details: list[tuple[str, str]] = field(default_factory=list)


def settings_for(store: IdentityStore) -> NotificationSettings | None:
    """The store's notification settings; None when it has none (then nothing is mailed)."""
    return _settings(store.pk)


def _settings(store_id: int) -> NotificationSettings | None:
    return NotificationSettings.objects.filter(store_id=store_id).first()


@contextmanager
def store_lookups_once() -> Iterator[None]:
    """Within the block, `notify` reads each store's notification settings (and whether it has
    templates in other languages) once instead of once per event.

    For callers that apply many changes in one go (directory sync, through
    `directory.hooks.batch()`): an edit of the settings made while the block runs applies from
    the next block on. Everyone else reads them per event.
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
    settings = _per_store("settings", event.store_id, lambda: _settings(event.store_id))
    if settings is None:
        return 0
    resolution = resolve(event, settings)
    renderer = EventRenderer(event)
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
            build_message(
                event.store,
                settings,
                content,
                to=resolution.to,
                cc=resolution.cc,
                why=to_cc_record(resolution.to, resolution.cc),
                **common,
            )
        )

    def template_of(recipient: Recipient) -> int:
        return renderer.template_id(recipient.language)

    # Without details every member has the default language: one template for all.
    details = _needs_details(event)
    for batch in batches(
        resolution.bcc(details=details), bcc_batch_size(), template_of if details else None
    ):
        single = batch[0] if len(batch) == 1 else None
        content = renderer.content(template_of(batch[0]), single)
        bcc = [r.address for r in batch]
        why = record(batch)
        pending.append(build_message(event.store, settings, content, bcc=bcc, why=why, **common))
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


def send_notice(
    store: IdentityStore,
    settings: NotificationSettings | None,
    notice: Notice,
    objects: set[int],
    *,
    copy_store: bool = True,
) -> int:
    """Queue `notice` for `objects` (and To:/CC: when `copy_store`); returns the message count.
    A store without notification settings has no From address: nothing is queued."""
    if settings is None:
        return 0
    context = {
        "store": {"name": store.name},
        "notice": {
            "subject": notice.subject,
            "headline": notice.headline,
            "details": [{"label": k, "value": v} for k, v in notice.details],
        },
    }
    to, cc = store_to_cc(settings) if copy_store else ([], [])
    rows = []
    if to or cc:
        content = _render("notice", context, None)
        rows.append(
            build_message(
                store,
                settings,
                content,
                kind=LIFECYCLE_KIND,
                to=to,
                cc=cc,
                why=to_cc_record(to, cc),
            )
        )
    seen = {a.lower() for a in to + cc}
    # Life-cycle notices are in English only, so batches need not be split by language.
    for batch in chunks(expand(store.pk, objects, exclude=seen), bcc_batch_size()):
        single = batch[0] if len(batch) == 1 else None
        content = _render("notice", context, single)
        bcc = [r.address for r in batch]
        why = record(batch)
        rows.append(build_message(store, settings, content, kind=LIFECYCLE_KIND, bcc=bcc, why=why))
    return len(enqueue(rows))


def send_password_warning(
    store: IdentityStore,
    settings: NotificationSettings,
    user: DirectoryObject,
    expires_on: date,
    days_left: int,
) -> int:
    """One personal warning with the store's GroupID Portal URL (if one is chosen)."""
    if not user.is_addressable:
        return 0
    recipient = Recipient(user.email.lower(), user.name, user.language or "en", (PASSWORD_KIND, ()))
    context = {
        "store": {"name": store.name},
        "expires_on": expires_on.isoformat(),
        "days_left": days_left,
        "portal_url": settings.portal.url if settings.portal_id else "",
    }
    content = _render("password", context, recipient)
    to = [recipient.address]
    why = record([recipient])
    message = build_message(store, settings, content, kind=PASSWORD_KIND, to=to, why=why)
    return len(enqueue([message]))


def _render(family: str, context: dict, recipient: Recipient | None) -> Content:
    templates = load_templates(family)
    return render_content(templates, {**context, "recipient": recipient_context(recipient)})
