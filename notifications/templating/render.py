"""Compiling and rendering admin-written email templates, within limits.

Overrides are written by admins, so they are compiled by a sandboxed template engine: builtin tags
and filters only, no `{% load %}` of other libraries, no `{% include %}`/`{% extends %}` of files,
and a context of plain dictionaries (no model objects whose methods or relations could be reached).
Rendering is bounded in output size, time and loop runs (limits.py, sandbox.py), and whatever a
template does wrong while rendering becomes a ValidationError, never a crash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.core.exceptions import ValidationError
from django.template import Context, Template, TemplateSyntaxError, VariableDoesNotExist

from .limits import apply_limits
from .sandbox import SandboxEngine

SANDBOX = SandboxEngine()
TOO_DEEP = "This template nests tags too deeply."
# What a builtin tag or filter raises on a bad argument (wordwrap:0, divisibleby:0 …).
RENDER_ERRORS = (ValueError, TypeError, AttributeError, LookupError, ArithmeticError)


def compile_template(source: str) -> Template:
    """Compile admin-written template text; a syntax error becomes a ValidationError."""
    try:
        template = SANDBOX.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Template syntax error: {exc}") from exc
    except RecursionError as exc:
        raise ValidationError(TOO_DEEP) from exc
    apply_limits(template.nodelist)
    return template


def render(source: str | Template, context: dict, *, html: bool = False) -> str:
    """Render within the limits; a TemplateLimitError (a ValidationError) says which one."""
    template = compile_template(source) if isinstance(source, str) else source
    try:
        return template.render(Context(context, autoescape=html))
    except RecursionError as exc:
        raise ValidationError(TOO_DEEP) from exc
    except VariableDoesNotExist as exc:  # a filter's argument; its text holds the whole context
        raise ValidationError(f"Unknown variable in a filter argument: {exc.params[0]}") from exc
    except RENDER_ERRORS as exc:
        raise ValidationError(f"This template cannot be rendered: {exc}") from exc


class SavedTemplate(Protocol):
    """A stored override (an EmailTemplate): its id and last edit name one version of it."""

    pk: int
    updated: datetime


# Overrides (id, last edit) that went over a render limit in this process are not rendered again
# until edited: a template that runs into the time limit costs its process once, not per event.
_over_limit: set[tuple[int, datetime]] = set()
OVER_LIMIT_KEPT = 1000


def mark_over_limit(template: SavedTemplate) -> None:
    if len(_over_limit) >= OVER_LIMIT_KEPT:
        _over_limit.clear()
    _over_limit.add((template.pk, template.updated))


def over_limit(template: SavedTemplate) -> bool:
    return (template.pk, template.updated) in _over_limit
