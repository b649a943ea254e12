"""One message to a store's To:/CC: per life-cycle step (see `one_store_copy`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .models import OutgoingMessage
from .outbox import enqueue


@dataclass
class _StepCopy:
    """The To:/CC: change messages of one life-cycle step, held until the step ends."""

    held: list[OutgoingMessage] = field(default_factory=list)
    noticed: bool = False


_step_copy: ContextVar[_StepCopy | None] = ContextVar("lifecycle_step_copy", default=None)


@contextmanager
def one_store_copy() -> Iterator[None]:
    """Within the block (one life-cycle step, inside its transaction), To:/CC: receive one
    message: the step's life-cycle notice when it sends one, otherwise the change notifications
    held back until the block ends. Members and other recipients are not affected.

    Why: the notice says what the schedule changed, so the change notification's copy to the
    store's recipients would tell them the same thing a second time. A block left by an
    exception writes nothing (its transaction rolls back anyway).
    """
    step = _StepCopy()
    token = _step_copy.set(step)
    try:
        yield
    finally:
        _step_copy.reset(token)
    if not step.noticed:
        enqueue(step.held)


def store_message(message: OutgoingMessage) -> list[OutgoingMessage]:
    """The To:/CC: message of a change, or nothing when a life-cycle step holds it back."""
    step = _step_copy.get()
    if step is None:
        return [message]
    step.held.append(message)
    return []


def mark_noticed() -> None:
    """The step sent its life-cycle notice to To:/CC:: the held change messages are dropped."""
    step = _step_copy.get()
    if step is not None:
        step.noticed = True
