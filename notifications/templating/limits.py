"""Limits on rendering an admin-written email template: output size, render time, loop runs.

An override renders in shared processes (the web process on Preview and Save, whoever writes the
outbox rows at send time), so one admin's template must not hold them. Every render of a sandbox
template carries a `Budget` (started by the template's root node list) that is checked:

- after every node of every node list: the list's output so far is at most `MAX_OUTPUT`
  characters, and the deadline (`MAX_SECONDS` after the render began) has not passed;
- on every run of a `{% for %}` body: all loops of the render together run at most `MAX_LOOPS`
  times, and one loop's output stays within `MAX_OUTPUT`;
- on every filter call (sandbox.py): the deadline, and the result is at most
  `MAX_OUTPUT` characters or `MAX_ITEMS` items; filters that would build a huge value from a
  small one (ljust, center, join, add, stringformat…) are refused before they build it.

So no string larger than the cap (a few times over, at worst, before a check catches it) is ever
built, and the deadline is checked between any two steps. One step itself is not interrupted, but
it works on values already within the caps: the slowest builtin filter on a value at the cap
takes about half a second here, so a hostile render stops within about `MAX_SECONDS` + 0.5 s.
No thread is started; the limits raise `TemplateLimitError`, a ValidationError with the
admin-facing reason.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.template.base import Node, NodeList
from django.utils.safestring import SafeString

MAX_OUTPUT = 1_000_000  # characters of one rendered part (about 1 MB)
MAX_SECONDS = 2.0
MAX_LOOPS = 10_000  # runs of {% for %} bodies in one render, all loops together
MAX_ITEMS = 10_000  # items of a list built by a filter

TOO_LARGE = "This template produces more than 1 MB (1,000,000 characters)."
TOO_SLOW = "This template takes longer than 2 s to render."
TOO_MANY_LOOPS = "A loop in this template runs more than 10,000 times."
TOO_MANY_ITEMS = "This template builds a list of more than 10,000 items."


class TemplateLimitError(ValidationError):
    """A render went over one of the limits; the message says which, in the admin's words."""


@dataclass
class Budget:
    deadline: float
    loops_left: int = MAX_LOOPS
    loop_output: dict[Node, int] = field(default_factory=dict)

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(TOO_SLOW)

    def loop_run(self) -> None:
        self.loops_left -= 1
        if self.loops_left < 0:
            raise TemplateLimitError(TOO_MANY_LOOPS)
        self.tick()

    def add_loop_output(self, loop: Node, first: bool, size: int) -> None:
        total = size + (0 if first else self.loop_output[loop])
        if total > MAX_OUTPUT:
            raise TemplateLimitError(TOO_LARGE)
        self.loop_output[loop] = total


_budget: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def current() -> Budget:
    """The budget of the render under way (a filter called outside one gets a fresh budget)."""
    return _budget.get() or Budget(time.monotonic() + MAX_SECONDS)


def check_size(value):
    """`value` itself, unless it is a string or list over the caps."""
    if isinstance(value, str) and len(value) > MAX_OUTPUT:
        raise TemplateLimitError(TOO_LARGE)
    if isinstance(value, (list, tuple)) and len(value) > MAX_ITEMS:
        raise TemplateLimitError(TOO_MANY_ITEMS)
    return value


class BudgetNodeList(NodeList):
    """A node list that stops at `MAX_OUTPUT` characters or the deadline; same output."""

    def render(self, context) -> SafeString:
        budget = current()
        parts, size = [], 0
        for node in self:
            part = node.render_annotated(context)
            size += len(part)
            if size > MAX_OUTPUT:
                raise TemplateLimitError(TOO_LARGE)
            budget.tick()
            parts.append(part)
        return SafeString("".join(parts))


class RootNodeList(BudgetNodeList):
    """A template's top node list: each render of the template gets a budget of its own."""

    def render(self, context) -> SafeString:
        token = _budget.set(Budget(time.monotonic() + MAX_SECONDS))
        try:
            return super().render(context)
        finally:
            _budget.reset(token)


class LoopBody(Node):
    """The body of a `{% for %}` loop: counts its runs and the loop's accumulated output.

    ForNode renders its body once per item and joins all of them at the end; wrapping the body in
    one node lets each run be counted before the next one starts."""

    child_nodelists = ("nodelist",)

    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context) -> str:
        budget = current()
        budget.loop_run()
        first = context["forloop"]["counter0"] == 0  # each run of the loop starts at 0
        output = self.nodelist.render(context)
        budget.add_loop_output(self, first, len(output))
        return output


def apply_limits(nodelist: NodeList) -> NodeList:
    """Turn a compiled template's node lists (all of them, at any depth) into budgeted ones."""
    for child in _all_nodelists(nodelist):
        child.__class__ = BudgetNodeList
    nodelist.__class__ = RootNodeList
    return nodelist


def _all_nodelists(nodelist: NodeList):
    yield nodelist
    for node in nodelist:
        for value in vars(node).values():
            if isinstance(value, NodeList):
                yield from _all_nodelists(value)
            elif isinstance(value, list):  # IfNode.conditions_nodelists: [(condition, nodes)]
                for item in value:
                    if isinstance(item, tuple):
                        for part in item:
                            if isinstance(part, NodeList):
                                yield from _all_nodelists(part)
