"""Test helpers: virtual time on asyncio, to match trio's ``MockClock``.

``VirtualTimeEventLoop`` is an asyncio event loop whose clock only moves when
every task is blocked: it then jumps straight to the next timer (the same rule
as ``trio.testing.MockClock(autojump_threshold=0)``).  ``anyio.sleep(60)``
returns at once in real time while ``anyio.current_time()`` advances by 60, so
timeouts, backoffs and simulated LLM latency can be tested exactly and fast.

Use it through anyio's backend options::

    anyio.run(main, backend="asyncio",
              backend_options={"loop_factory": VirtualTimeEventLoop})

Do not use it with real network I/O in flight: with no timer due, it blocks on
I/O like any loop, but a pending timer fires as soon as the loop is idle.
"""

from __future__ import annotations

import asyncio
import heapq
from typing import Any

import trio.testing


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0

    def time(self) -> float:
        return self._virtual_now

    def _run_once(self) -> None:
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        ready: Any = self._ready  # type: ignore[attr-defined]
        while scheduled and scheduled[0].cancelled():
            heapq.heappop(scheduled)
        if not ready and scheduled:
            self._virtual_now = max(self._virtual_now, scheduled[0].when())
        super()._run_once()  # type: ignore[misc]


def backend_options(backend: str) -> dict[str, Any]:
    """anyio backend options giving ``backend`` an autojumping virtual clock."""
    if backend == "trio":
        return {"clock": trio.testing.MockClock(autojump_threshold=0)}
    if backend == "asyncio":
        return {"loop_factory": VirtualTimeEventLoop}
    raise ValueError(f"unknown backend {backend!r}")
