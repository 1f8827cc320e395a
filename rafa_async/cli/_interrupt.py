"""Ctrl-C: stop a run at once, keep what finished, say so on one line.

SIGINT is taken as a signal by :func:`until_interrupted`, not as a
``KeyboardInterrupt``: that exception can surface anywhere (on trio inside
a task group, as a ``BaseExceptionGroup`` with a traceback; in the middle of
writing a record), whereas cancelling the run's scope stops every episode at
its next await and runs their cleanup, so each record is either written in
full or not at all and every file is closed.  The first Ctrl-C cancels; the
handler is then given back, so a second Ctrl-C interrupts whatever the
cleanup is waiting on.
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import NoReturn, TypeVar

import anyio
from anyio.abc import TaskStatus

from rafa_async.cli._app import run_or_fail
from rafa_async.cli._console import interrupted

T = TypeVar("T")


class Interrupted(Exception):
    """SIGINT arrived: the run was cancelled and its cleanup has run."""


async def until_interrupted(main: Callable[[], Awaitable[T]]) -> T:
    """``await main()``; on SIGINT cancel it and raise :class:`Interrupted`.

    A SIGINT after ``main`` has returned changes nothing: its result stands.
    Where SIGINT is ignored (a background job of a non-interactive shell),
    it stays ignored.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return await main()

    async def watch(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            task_status.started()
            await anext(aiter(signals))
            tg.cancel_scope.cancel()
        # The handler is given back: a second Ctrl-C is a KeyboardInterrupt.

    finished: list[T] = []
    async with anyio.create_task_group() as tg:
        await tg.start(watch)
        finished.append(await main())
        tg.cancel_scope.cancel()
    if not finished:  # only the watcher cancels the group before main returns
        raise Interrupted
    return finished[0]


def run_until_interrupted(main: Callable[[], Awaitable[T]], backend: str) -> T | None:
    """:func:`~rafa_async.cli._app.run_or_fail` of ``main`` under
    :func:`until_interrupted`; ``None`` if Ctrl-C stopped it."""
    try:
        return run_or_fail(partial(until_interrupted, main), backend)
    except Interrupted:
        return None


def report_interrupted(done: int, total: int, out: Path | None) -> NoReturn:
    """One line on stderr -- ``interrupted: N of M done, results in X`` -- and
    exit status 130.  (``--out`` is opened at its first result: with none,
    it was not touched.)"""
    if out is None:
        where = " (no --out given)"
    elif done == 0:
        where = ", nothing written"
    else:
        where = ", results on stdout" if out == Path("-") else f", results in {out}"
    interrupted(f"interrupted: {done} of {total} done{where}")
