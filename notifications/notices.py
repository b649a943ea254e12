"""Life-cycle notices: what a scheduled job (or the secret-expiry task) tells people.

Notices reach the objects the job names (a group reaches all its members, nested groups
included), each address once, in Bcc batches, and To:/CC: get a copy of their own. Every notice
is rendered from the store's override for the recipient's language when there is one
(`notice_render.py`). Password-expiry warnings and their digest are in `password_notices.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from core.chunks import chunks
from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .compose import bcc_batch_size, build_message
from .expansion import DEFAULT_LANGUAGE, NAMED, Recipient, expand
from .models import NotificationSettings
from .notice_render import render_for, rendered_from
from .outbox import enqueue
from .provenance import record, to_cc_record
from .recipients import store_to_cc
from .store_copy import mark_noticed

LIFECYCLE_KIND = "lifecycle"


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
        content = render_for(store.pk, "notice", context, None)
        rows.append(
            build_message(
                store, settings, content, kind=LIFECYCLE_KIND, to=to, cc=cc,
                context=rendered_from(context, None), why=to_cc_record(to, cc),
            )
        )  # fmt: skip
        mark_noticed()
    seen = {a.lower() for a in to + cc}
    # Life-cycle notices are in English only, so batches need not be split by language.
    for batch in chunks(_notice_recipients(store.pk, objects, seen), bcc_batch_size()):
        single = batch[0] if len(batch) == 1 else None
        content = render_for(store.pk, "notice", context, single)
        bcc = [r.address for r in batch]
        rows.append(
            build_message(
                store, settings, content, kind=LIFECYCLE_KIND, bcc=bcc,
                context=rendered_from(context, single), why=record(batch),
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
