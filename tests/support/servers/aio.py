"""Running a coroutine from a synchronous test."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor


def run(coroutine: Coroutine):
    """`asyncio.run` in a fresh thread: Playwright's sync API leaves an event loop running in
    the main thread once a browser test ran, and `asyncio.run` refuses to nest in it."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
