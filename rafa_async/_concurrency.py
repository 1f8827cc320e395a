"""Bounded concurrency over a list of jobs, the structured way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from rafa_async._errors import RafaError

T = TypeVar("T")


async def for_each_limited(
    items: Sequence[T], limit: int, job: Callable[[T], Awaitable[None]]
) -> None:
    """Await ``job(item)`` for every item, at most ``limit`` at a time.

    ``limit`` long-lived workers pull items in order from one iterator: a
    task per worker, not per item (``start_soon`` costs ~30 us here).  The
    first job to raise cancels the rest; cancelling the caller cancels all.

    When every job that failed raised a :class:`~rafa_async.RafaError` (e.g.
    several episodes hitting the same unreachable provider at once), the
    first of them is raised as it is, so callers catch it by type; any other
    failure propagates as the task group's ``ExceptionGroup``.
    """
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            await job(item)

    try:
        async with anyio.create_task_group() as tg:
            for _ in range(min(limit, len(items))):
                tg.start_soon(worker)
    except BaseExceptionGroup as group:
        errors = exception_leaves(group)
        if errors and all(isinstance(e, RafaError) for e in errors):
            raise errors[0] from None
        raise


E = TypeVar("E", bound=BaseException)


def first_leaf(group: BaseExceptionGroup[E]) -> E:
    """The first exception in ``group`` and its nested groups (e.g. the one
    an ``except*`` clause matched)."""
    first = group.exceptions[0]
    return first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def exception_leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    """The exceptions in ``group`` and its nested groups, in order."""
    leaves: list[BaseException] = []
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            leaves.extend(exception_leaves(error))
        else:
            leaves.append(error)
    return leaves
