"""Life-cycle notices, password-expiry warnings and the password-expiry digest.

Notices reach the objects the job names (a group reaches all its members, nested groups
included), each address once, in Bcc batches, and To:/CC: get a copy of their own. Warnings are
personal; To:/CC: get one digest per store and run instead of a copy of each. Every notice is
rendered from the store's override for the recipient's language when there is one
(`compose.render_notice`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from core.chunks import chunks
from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .compose import (
    NOTICE_KIND,
    Content,
    bcc_batch_size,
    build_message,
    recipient_context,
    render_notice,
)
from .expansion import DEFAULT_LANGUAGE, NAMED, Recipient, expand
from .models import NotificationSettings, find_override
from .outbox import enqueue
from .provenance import record, to_cc_record
from .recipients import store_to_cc
from .store_copy import mark_noticed
from .store_lookups import per_store

LIFECYCLE_KIND = "lifecycle"
PASSWORD_KIND = "password-expiry"
DIGEST_KIND = "password-digest"
DIGEST_LINES = 2_000  # members listed per digest message


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
        mark_noticed()
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
    override = per_store(
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
