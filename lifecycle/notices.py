"""Life-cycle notices and password-expiry warnings: render and write the outbox rows in the
caller's transaction (the one that also changes the directory and the item's state).

Who receives a life-cycle notice: the objects the job names (a group reaches all its members,
nested groups included, through `notifications.expansion.expand`), each address once, in Bcc
batches like change notifications. The store's To:/CC: receive a copy of every life-cycle notice
in a message of their own, as they receive every notification of the store. Password-expiry
warnings are personal (one user's expiry date): one message to the user, no copy to To:/CC: —
they learn of each membership change of the group from its change notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.conf import settings as django_settings
from django.template import Template

from core.chunks import chunks
from directory.models import DirectoryObject
from identitystores.models import IdentityStore
from notifications.emails import Content, bcc_batch_size, recipient_context, render_content
from notifications.expansion import Recipient, expand
from notifications.models import NotificationSettings
from notifications.outbox import enqueue, new_message
from notifications.recipients import store_to_cc
from notifications.templating import compile_template

LIFECYCLE_KIND = "lifecycle"
PASSWORD_KIND = "password-expiry"


@dataclass(frozen=True)
class Notice:
    """What happened, in the admin's words: a subject, one sentence, and labelled details."""

    subject: str
    headline: str
    details: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=4)
def templates(family: str) -> dict[str, Template]:
    folder = django_settings.BASE_DIR / "templates" / "lifecycle" / "email"
    return {
        part: compile_template((folder / f"{family}_{part}.{ext}").read_text(encoding="utf-8"))
        for part, ext in (("subject", "txt"), ("body_text", "txt"), ("body_html", "html"))
    }


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
        rows.append(_message(store, settings, content, LIFECYCLE_KIND, to=to, cc=cc))
    seen = {a.lower() for a in to + cc}
    # Life-cycle notices are in English only, so batches need not be split by language.
    for batch in chunks(expand(store.pk, objects, exclude=seen), bcc_batch_size()):
        single = batch[0] if len(batch) == 1 else None
        content = _render("notice", context, single)
        bcc = [r.address for r in batch]
        rows.append(_message(store, settings, content, LIFECYCLE_KIND, bcc=bcc))
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
    recipient = Recipient(user.email.lower(), user.name, user.language or "en")
    context = {
        "store": {"name": store.name},
        "expires_on": expires_on.isoformat(),
        "days_left": days_left,
        "portal_url": settings.portal.url if settings.portal_id else "",
    }
    content = _render("password", context, recipient)
    row = _message(store, settings, content, PASSWORD_KIND, to=[recipient.address])
    return len(enqueue([row]))


def _render(family: str, context: dict, recipient: Recipient | None) -> Content:
    return render_content(templates(family), {**context, "recipient": recipient_context(recipient)})


def _message(store, settings, content: Content, kind: str, **fields):
    return new_message(
        store,
        settings,
        subject=content.subject,
        body_text=content.body_text,
        body_html=content.body_html,
        kind=kind,
        **fields,
    )
