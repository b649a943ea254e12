"""Puts ``mailbox_visible`` into every template so the navigation can link the Mailbox."""

from functools import partial

from django.http import HttpRequest

from .access import may_see_mailbox


def mailbox(request: HttpRequest) -> dict[str, object]:
    """Lazy: the role lookup runs only on pages whose template asks for it."""
    user = getattr(request, "user", None)
    if user is None:
        return {"mailbox_visible": False}
    return {"mailbox_visible": partial(may_see_mailbox, user)}
