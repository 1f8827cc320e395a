"""Bounded concurrency over a list of jobs, the structured way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

T = TypeVar("T")


async def for_each_limited(
    items: Sequence[T], limit: int, job: Callable[[T], Awaitable[None]]
) -> None:
    """Await ``job(item)`` for every item, at most ``limit`` at a time.

    ``limit`` long-lived workers pull items in order from one iterator: a
    task per worker, not per item (``start_soon`` costs ~30 us here).  The
    first job to raise cancels the rest; cancelling the caller cancels all.
    """
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            await job(item)

    async with anyio.create_task_group() as tg:
        for _ in range(min(limit, len(items))):
            tg.start_soon(worker)
