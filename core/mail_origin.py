"""Which identity store sent a message, sealed into the Message-ID we give it.

The local mail catcher shows each admin only the mail of their own stores, so it must tell from
the message alone which store sent it. The Message-ID carries the store's id and a keyed seal
(HMAC with the server's SECRET_KEY) over a fresh random part and that id:
``<nonce.s<store id>.<seal>@domain>``. Without the key no sender can make a message count as
another store's; a recipient who copies a real Message-ID can at most file a message under the
store that really sent that one. The Message-ID is the one header every message already has and
every hop keeps, so nothing else is added to the mail real recipients get.
"""

from __future__ import annotations

import re
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

# The module's first home: kept, or every Message-ID sealed before the move would stop matching.
SALT = "dirmgr.identitystores.mail_origin"
# 64 random bits keep ids unique; an 80-bit seal cannot be guessed. Short, so the header stays
# within the 78-character line that mail readers expect.
SEALED = re.compile(r"<([0-9a-f]{16})\.s([1-9][0-9]{0,17})\.([0-9a-f]{20})@[^<>\s]+>")


def new_message_id(store_id: int, domain: str) -> str:
    """A unique Message-ID for mail of `store_id` (``domain``: the From address's domain)."""
    nonce = secrets.token_hex(8)
    return f"<{nonce}.s{store_id}.{_seal(nonce, store_id)}@{domain}>"


def store_id_of(message_id: str) -> int | None:
    """The store a Message-ID was sealed for, or None (someone else's id, or not ours)."""
    match = SEALED.fullmatch(message_id.strip())
    if match is None:
        return None
    nonce, store_id, seal = match[1], int(match[2]), match[3]
    return store_id if constant_time_compare(seal, _seal(nonce, store_id)) else None


def _seal(nonce: str, store_id: int) -> str:
    return salted_hmac(SALT, f"{nonce}.{store_id}", algorithm="sha256").hexdigest()[:20]
