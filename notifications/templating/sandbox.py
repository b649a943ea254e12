"""The template engine for admin-written email templates: Django's builtins, within limits.

Every builtin filter is wrapped: it checks the render's deadline before it runs and the size of
what it returns (limits.py). Filters that can turn a short value into a huge one are
refused before they build it: padding (ljust, rjust, center), stringformat and floatformat to a
width over the output cap, join and add whose result would be over it. Tags that email templates
have no use for and that could flood or break a render are left out: `debug` (prints the
server's modules), `lorem` (any amount of text), `url` and `querystring` (need a web request).
`{% for %}` bodies are counted (LoopBody). `{% load %}`, `{% include %}` and `{% extends %}`
stay and fail (no libraries, no template files), so the admin is told why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.template import Engine, Library, NodeList, defaultfilters, defaulttags, loader_tags

from .limits import (
    MAX_OUTPUT,
    TOO_LARGE,
    LoopBody,
    TemplateLimitError,
    check_size,
    current,
)

LEFT_OUT_TAGS = {"debug", "lorem", "url", "querystring"}
NUMBER = re.compile(r"\d+")


def sandboxed_for(parser, token):
    """`{% for %}` whose body counts its runs and its output."""
    node = defaulttags.do_for(parser, token)
    node.nodelist_loop = NodeList([LoopBody(node.nodelist_loop)])
    return node


def refuse_wide(value, arg=None) -> None:
    """ljust/rjust/center: the width is the output's length."""
    if _as_int(arg) > MAX_OUTPUT:
        raise TemplateLimitError(TOO_LARGE)


def refuse_wide_format(value, arg=None) -> None:
    """stringformat, floatformat: any width or precision in the format ("0200000000d")."""
    if any(int(n) > MAX_OUTPUT for n in NUMBER.findall(str(arg))):
        raise TemplateLimitError(TOO_LARGE)


def refuse_long_join(value, arg=None) -> None:
    """join: the items plus a separator between each two."""
    if isinstance(value, str):
        items, size = len(value), len(value)
    elif isinstance(value, (list, tuple, dict, set)):
        check_size(list(value))
        items, size = len(value), sum(len(str(item)) for item in value)
    else:
        return
    if size + len(str(arg)) * max(items - 1, 0) > MAX_OUTPUT:
        raise TemplateLimitError(TOO_LARGE)


def refuse_long_add(value, arg=None) -> None:
    sized = hasattr(value, "__len__") and hasattr(arg, "__len__")
    if sized and len(value) + len(arg) > MAX_OUTPUT:
        raise TemplateLimitError(TOO_LARGE)


PRECHECKS: dict[str, Callable] = {
    "ljust": refuse_wide,
    "rjust": refuse_wide,
    "center": refuse_wide,
    "stringformat": refuse_wide_format,
    "floatformat": refuse_wide_format,
    "join": refuse_long_join,
    "add": refuse_long_add,
}


def limited(func: Callable, precheck: Callable | None) -> Callable:
    """`func` checking the deadline first and the size of its result after."""

    @wraps(func)  # keeps is_safe, needs_autoescape… and the signature Django checks
    def filter_within_limits(value, *args, **kwargs):
        current().tick()
        if precheck:
            precheck(value, *args)
        return check_size(func(value, *args, **kwargs))

    return filter_within_limits


def sandbox_library() -> Library:
    library = Library()
    for source in (defaulttags.register, loader_tags.register):
        library.tags.update(
            {name: tag for name, tag in source.tags.items() if name not in LEFT_OUT_TAGS}
        )
    library.tags["for"] = sandboxed_for
    library.filters = {
        name: limited(func, PRECHECKS.get(name))
        for name, func in defaultfilters.register.filters.items()
    }
    return library


class SandboxEngine(Engine):
    """No libraries to load, no template files, and `sandbox_library()` as the only builtins."""

    def __init__(self) -> None:
        super().__init__(dirs=[], app_dirs=False, libraries={}, debug=False)

    def get_template_builtins(self, builtins) -> list[Library]:
        return [sandbox_library()]


def _as_int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
