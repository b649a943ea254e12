"""Password-expiry warnings and the password-expiry digest.

Warnings are personal (one user's expiry date, with the store's GroupID Portal link): one
message to the user. A run can warn thousands, so To:/CC: get one digest per store and run
instead of a copy of each: who was warned, when each password expires, the portal link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.chunks import chunks
from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .compose import build_message
from .expansion import Recipient
from .models import NotificationSettings
from .notice_render import render_for, rendered_from
from .outbox import enqueue
from .provenance import record, to_cc_record
from .recipients import store_to_cc

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
    content = render_for(store.pk, "password", context, recipient)
    kept = rendered_from(context, recipient)
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
        content = render_for(store.pk, "digest", context, None)
        kept = rendered_from(context, None)
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
