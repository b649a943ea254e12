"""Admin-written email templates: a sandboxed engine, render limits and the sample event.

Templating is the lowest layer of notifications: it imports nothing from the rest of the app
(only the directory's event kinds), so the EmailTemplate model, the composer and the life-cycle
notices can all use it. Callers import from this package, not from its modules.
"""

from .limits import TemplateLimitError
from .render import compile_template, mark_over_limit, over_limit, render
from .sample import NOTICE_SAMPLES, sample_context

__all__ = [
    "NOTICE_SAMPLES",
    "TemplateLimitError",
    "compile_template",
    "mark_over_limit",
    "over_limit",
    "render",
    "sample_context",
]
