"""Test helpers: virtual time on asyncio and trio.

``VirtualTimeEventLoop`` is an asyncio event loop whose clock only moves when
every task is blocked: it then jumps straight to the next timer (the same rule
as ``trio.testing.MockClock(autojump_threshold=0)``).  ``anyio.sleep(60)``
returns at once in real time while ``anyio.current_time()`` advances by 60, so
timeouts, backoffs and simulated LLM latency can be tested exactly and fast.

Use it through anyio's backend options::

    anyio.run(main, backend="asyncio",
              backend_options={"loop_factory": VirtualTimeEventLoop})

I/O is polled before the clock jumps: when no callback is ready, the loop
asks the selector (timeout 0) for ready sockets and, if there are any, runs
their callbacks instead of jumping, as trio's ``MockClock`` does.  So a client
and a server in the same loop talking over loopback win over a pending
timeout.  I/O that is still in flight elsewhere (another process, a DNS
thread) is not waited for: a pending timer fires as soon as nothing is ready.

On trio, :func:`autojump_clock` is ``MockClock(autojump_threshold=0)`` that does
not spin: with no timer pending, trio's autojump polls I/O with timeout 0 in
a loop (one core at 100% while a test waits on a thread or a subprocess);
this clock blocks in the I/O wait instead, until a thread, a socket or a new
timer wakes it, as ``VirtualTimeEventLoop`` does.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import selectors
from typing import Any

import trio.testing


class _PeekableSelector(selectors.DefaultSelector):
    """A selector whose next ``select`` can return events polled earlier, so
    the loop can look for ready I/O without seeing (and running) it twice."""

    def __init__(self) -> None:
        super().__init__()
        self.peeked: list[tuple[selectors.SelectorKey, int]] = []

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if self.peeked:
            events, self.peeked = self.peeked, []
            return events
        return super().select(timeout)


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._peekable = _PeekableSelector()
        super().__init__(self._peekable)
        self._virtual_now = 0.0

    def time(self) -> float:
        return self._virtual_now

    def _run_once(self) -> None:
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        ready: Any = self._ready  # type: ignore[attr-defined]
        while scheduled and scheduled[0].cancelled():
            heapq.heappop(scheduled)
        if not ready and scheduled and scheduled[0].when() > self._virtual_now:
            # Ready I/O first; the clock only jumps when nothing else can run.
            self._peekable.peeked = self._peekable.select(0)
            if not self._peekable.peeked:
                self._virtual_now = scheduled[0].when()
        super()._run_once()  # type: ignore[misc]


def autojump_clock() -> trio.testing.MockClock:
    """trio's ``MockClock(autojump_threshold=0)``, blocking when no timer is pending.

    Trio asks the clock how long to sleep each time every task is blocked,
    just before it compares that with the autojump threshold; so the
    threshold is set there: 0 (jump to the next timer once no I/O is ready)
    when a timer is pending, infinite (wait for I/O, no jump) when none is.
    ``MockClock`` cannot be subclassed, so the hook is set on the instance.
    """
    clock = trio.testing.MockClock(autojump_threshold=0)
    sleep_time = clock.deadline_to_sleep_time

    def deadline_to_sleep_time(deadline: float) -> float:
        threshold = math.inf if deadline == math.inf else 0.0
        if threshold != clock.autojump_threshold:
            clock.autojump_threshold = threshold
        return sleep_time(deadline)

    setattr(clock, "deadline_to_sleep_time", deadline_to_sleep_time)  # noqa: B010
    return clock


def backend_options(backend: str) -> dict[str, Any]:
    """anyio backend options giving ``backend`` an autojumping virtual clock."""
    if backend == "trio":
        return {"clock": autojump_clock()}
    if backend == "asyncio":
        return {"loop_factory": VirtualTimeEventLoop}
    raise ValueError(f"unknown backend {backend!r}")
