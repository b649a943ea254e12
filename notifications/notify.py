"""The one way into notifications from other apps: mail a directory change, a life-cycle notice or
a password-expiry warning, and read a store's notification settings.

Each call writes its outbox rows in the caller's transaction (the one that also changes the
directory and the item's state), so mail goes out only for what was committed. Messages are
built by `compose`; who receives them comes from `recipients` and `expansion`.

To:/CC: of the store receive every notification the store generates (spec: "All email
notifications generated for the identity store are sent to these recipients"):
- change notifications: To:/CC: get one message of their own, every other recipient is in Bcc
  batches (see compose);
- life-cycle notices reach the objects the job names (a group reaches all its members, nested
  groups included), each address once, in Bcc batches, and To:/CC: get a copy of their own.
  A life-cycle step that also changes the directory (a temporary membership ending removes the
  member) would tell To:/CC: twice, once by the change notification and once by the notice;
  inside `one_store_copy()` they get the notice only, which names the change;
- password-expiry warnings are personal (one user's expiry date): one message to the user. A
  run can warn thousands, so To:/CC: get one digest per store and run instead of a copy of each
  (`send_password_digest`): who was warned, when each password expires, the portal link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from core.chunks import chunks
from directory.models import DirectoryEvent, DirectoryObject
from identitystores.models import IdentityStore

from . import acting
from .compose import (
    NOTICE_KIND,
    Content,
    EventRenderer,
    batches,
    bcc_batch_size,
    build_message,
    recipient_context,
    render_notice,
)
from .expansion import DEFAULT_LANGUAGE, NAMED, Recipient, expand
from .models import EmailTemplate, NotificationSettings, OutgoingMessage, find_override
from .outbox import enqueue, rows_in_bulk
from .provenance import record, to_cc_record
from .recipients import resolve, store_to_cc

__all__ = [
    "DIGEST_KIND",
    "LIFECYCLE_KIND",
    "PASSWORD_KIND",
    "Notice",
    "Warned",
    "notify",
    "one_store_copy",
    "rows_in_bulk",
    "send_notice",
    "send_password_digest",
    "send_password_warning",
    "settings_for",
    "store_lookups_once",
]

OUTBOX_CHUNK = 500  # messages per bulk insert
LIFECYCLE_KIND = "lifecycle"
PASSWORD_KIND = "password-expiry"

DIGEST_KIND = "password-digest"
DIGEST_LINES = 2_000  # members listed per digest message

# Per-store lookups that `notify` makes for every event, kept for the length of a
# `store_lookups_once` block; None outside one.
_lookups: ContextVar[dict[tuple[str, int], object] | None] = ContextVar(
    "notification_store_lookups", default=None
)


@dataclass
class _StepCopy:
    """The To:/CC: change messages of one life-cycle step, held until the step ends."""

    held: list[OutgoingMessage] = field(default_factory=list)
    noticed: bool = False


_step_copy: ContextVar[_StepCopy | None] = ContextVar("lifecycle_step_copy", default=None)


@dataclass(frozen=True)
class Warned:
    """One line of the password-expiry digest."""

    name: str
    email: str
    expires_on: date
    days_left: int


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


@contextmanager
def one_store_copy() -> Iterator[None]:
    """Within the block (one life-cycle step, inside its transaction), To:/CC: receive one
    message: the step's life-cycle notice when it sends one, otherwise the change notifications
    held back until the block ends. Members and other recipients are not affected.

    Why: the notice says what the schedule changed, so the change notification's copy to the
    store's recipients would tell them the same thing a second time. A block left by an
    exception writes nothing (its transaction rolls back anyway).
    """
    step = _StepCopy()
    token = _step_copy.set(step)
    try:
        yield
    finally:
        _step_copy.reset(token)
    if not step.noticed:
        enqueue(step.held)


def _store_message(message: OutgoingMessage) -> list[OutgoingMessage]:
    """The To:/CC: message of a change, or nothing when a life-cycle step holds it back."""
    step = _step_copy.get()
    if step is None:
        return [message]
    step.held.append(message)
    return []


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
        message = build_message(
            event.store, settings, content, to=resolution.to, cc=resolution.cc,
            why=to_cc_record(resolution.to, resolution.cc), **common,
        )  # fmt: skip
        pending += _store_message(message)

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
    objects: Iterable[int | DirectoryObject],
    *,
    copy_store: bool = True,
) -> int:
    """Queue `notice` for `objects` (and To:/CC: when `copy_store`); returns the message count.
    A store without notification settings has no From address: nothing is queued.

    `objects` are ids, or objects the caller has loaded already: a loaded user or contact is
    addressed as it is (no query), ids and groups are expanded from the database."""
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
        content = _render(store.pk, "notice", context, None)
        rows.append(
            build_message(
                store, settings, content, kind=LIFECYCLE_KIND, to=to, cc=cc,
                context=_rendered_from(context, None), why=to_cc_record(to, cc),
            )
        )  # fmt: skip
        step = _step_copy.get()
        if step is not None:
            step.noticed = True
    seen = {a.lower() for a in to + cc}
    # Life-cycle notices are in English only, so batches need not be split by language.
    for batch in chunks(_notice_recipients(store.pk, objects, seen), bcc_batch_size()):
        single = batch[0] if len(batch) == 1 else None
        content = _render(store.pk, "notice", context, single)
        bcc = [r.address for r in batch]
        rows.append(
            build_message(
                store, settings, content, kind=LIFECYCLE_KIND, bcc=bcc,
                context=_rendered_from(context, single), why=record(batch),
            )
        )  # fmt: skip
    return len(enqueue(rows))


def _notice_recipients(
    store_id: int, objects: Iterable[int | DirectoryObject], seen: set[str]
) -> Iterator[Recipient]:
    """Each address once: loaded users and contacts first (the rules of `expansion`: mail-enabled
    with an address), then what `expand` finds for the ids and groups."""
    ids: set[int] = set()
    for obj in objects:
        if not isinstance(obj, DirectoryObject) or obj.is_group:
            ids.add(obj.pk if isinstance(obj, DirectoryObject) else obj)
        elif obj.is_addressable and obj.email.lower() not in seen:
            seen.add(obj.email.lower())
            language = obj.language or DEFAULT_LANGUAGE
            yield Recipient(obj.email.lower(), obj.name, language, (NAMED, ()))
    yield from expand(store_id, ids, exclude=seen)


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
    content = _render(store.pk, "password", context, recipient)
    kept = _rendered_from(context, recipient)
    message = build_message(
        store,
        settings,
        content,
        kind=PASSWORD_KIND,
        to=[recipient.address],
        context=kept,
        why=record([recipient]),
    )
    return len(enqueue([message]))


def _render(store_id: int, family: str, context: dict, recipient: Recipient | None) -> Content:
    """The notice of `family` for `recipient`, from the store's override for the recipient's
    language when there is one (looked up once per store, family and language within a
    `store_lookups_once` block: a life-cycle chunk renders each override once per language)."""
    language = recipient.language if recipient else DEFAULT_LANGUAGE
    kind = NOTICE_KIND[family]
    override = _per_store(
        f"override:{kind}:{language}", store_id, lambda: find_override(store_id, kind, language)
    )
    return render_notice(family, {**context, "recipient": recipient_context(recipient)}, override)


def _rendered_from(context: dict, recipient: Recipient | None) -> dict:
    """What a notice row keeps of its context, for Preview with a real notice."""
    return {**context, "recipient": recipient_context(recipient)}


def send_password_digest(
    store: IdentityStore, settings: NotificationSettings, warned: list[Warned]
) -> int:
    """The run's digest to the store's To:/CC: the members warned (name, address, expiry date,
    days left) and the portal link; nothing when there is nobody to tell or no one was warned.

    One message per `DIGEST_LINES` members: a template renders at most 10,000 loop runs
    (templating/limits.py), and a mail client copes better with parts of a few thousand lines.
    Returns the message count."""
    to, cc = store_to_cc(settings)
    if not warned or not (to or cc):
        return 0
    parts = list(chunks(warned, DIGEST_LINES))
    rows = []
    for number, part in enumerate(parts, start=1):
        context = _digest_context(store, settings, part, number, len(parts))
        content = _render(store.pk, "digest", context, None)
        kept = _rendered_from(context, None)
        rows.append(
            build_message(
                store, settings, content, kind=DIGEST_KIND, to=to, cc=cc, context=kept,
                why=to_cc_record(to, cc),
            )
        )  # fmt: skip
    return len(enqueue(rows))


def _digest_context(
    store: IdentityStore, settings: NotificationSettings, warned: list[Warned], part: int, of: int
) -> dict:
    lines = [
        {"name": w.name, "email": w.email, "expires_on": w.expires_on.isoformat(),
         "days_left": w.days_left}
        for w in warned
    ]  # fmt: skip
    return {
        "store": {"name": store.name},
        "warned": lines,
        "count": len(lines),
        "part": part if of > 1 else 0,
        "parts": of,
        "portal_url": settings.portal.url if settings.portal_id else "",
    }
