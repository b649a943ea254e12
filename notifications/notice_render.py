"""Rendering a notice: the store's override for the recipient's language, else the default text.

Shared by life-cycle notices (`notices.py`) and password-expiry warnings and digests
(`password_notices.py`), so every kind of notice finds its override, falls back and keeps its
context for Preview the same way.
"""

from __future__ import annotations

from .compose import Content, render_notice
from .expansion import DEFAULT_LANGUAGE, Recipient
from .models import find_override
from .stock_templates import NOTICE_KIND
from .store_lookups import per_store
from .template_context import recipient_context


def render_for(store_id: int, family: str, context: dict, recipient: Recipient | None) -> Content:
    """The notice of `family` for `recipient`, from the store's override for the recipient's
    language when there is one (looked up once per store, family and language within a
    `store_lookups_once` block: a life-cycle chunk renders each override once per language)."""
    language = recipient.language if recipient else DEFAULT_LANGUAGE
    kind = NOTICE_KIND[family]
    override = per_store(
        f"override:{kind}:{language}", store_id, lambda: find_override(store_id, kind, language)
    )
    return render_notice(family, {**context, "recipient": recipient_context(recipient)}, override)


def rendered_from(context: dict, recipient: Recipient | None) -> dict:
    """What a notice row keeps of its context, for Preview with a real notice."""
    return {**context, "recipient": recipient_context(recipient)}
