"""Cutting a stream of items into lists of at most `size`: the one chunker.

Task payloads (MAIL_TASK_BATCH_SIZE ids per task), Bcc batches of life-cycle notices and the
directory sync's transactions all bound how much one unit of work holds. The input may be a
generator, so nothing is read ahead of the chunk being built.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, in order; none for no items.

    A size below 1 is a misconfiguration, raised rather than silently yielding nothing.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
