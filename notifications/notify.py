"""The one way into notifications from other apps: mail a directory change, a life-cycle notice or
a password-expiry warning, and read a store's notification settings.

Each call writes its outbox rows in the caller's transaction (the one that also changes the
directory and the item's state), so mail goes out only for what was committed. Messages are
built by `compose`; who receives them comes from `recipients` and `expansion`.

To:/CC: of the store receive every notification the store generates (spec: "All email
notifications generated for the identity store are sent to these recipients"):
- change notifications: To:/CC: get one message of their own, every other recipient is in Bcc
  batches (see compose);
- life-cycle notices (notices.py) reach the objects the job names, each address once, in Bcc
  batches, and To:/CC: get a copy of their own. A life-cycle step that also changes the
  directory (a temporary membership ending removes the member) would tell To:/CC: twice, once
  by the change notification and once by the notice; inside `one_store_copy()`
  (store_copy.py) they get the notice only, which names the change;
- password-expiry warnings (password_notices.py) are personal (one user's expiry date): one
  message to the user. A run can warn thousands, so To:/CC: get one digest per store and run
  instead of a copy of each (`send_password_digest`): who was warned, when each password
  expires, the portal link.
"""

from __future__ import annotations

from directory.models import DirectoryEvent
from identitystores.models import IdentityStore

from . import acting
from .compose import EventRenderer, batches, bcc_batch_size, build_message
from .expansion import DEFAULT_LANGUAGE, Recipient
from .models import EmailTemplate, NotificationSettings, OutgoingMessage
from .notices import LIFECYCLE_KIND, Notice, send_notice
from .outbox import enqueue, rows_in_bulk
from .password_notices import (
    DIGEST_KIND,
    PASSWORD_KIND,
    Warned,
    send_password_digest,
    send_password_warning,
)
from .provenance import record, to_cc_record
from .recipients import resolve
from .store_copy import one_store_copy, store_message
from .store_lookups import per_store, settings_of, store_lookups_once

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


def settings_for(store: IdentityStore) -> NotificationSettings | None:
    """The store's notification settings; None when it has none (then nothing is mailed)."""
    return settings_of(store.pk)


def notify(event: DirectoryEvent, *, credentials: str = "", kind: str = "change") -> int:
    """Write the event's outbox rows in the caller's transaction; returns how many."""
    settings = per_store("settings", event.store_id, lambda: settings_of(event.store_id))
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
        pending += store_message(message)

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
    return per_store(
        "translated",
        event.store_id,
        lambda: (
            EmailTemplate.objects.filter(store_id=event.store_id).exclude(language="en").exists()
        ),
    )
