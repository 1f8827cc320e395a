"""Test helpers: virtual time on asyncio, to match trio's ``MockClock``.

``VirtualTimeEventLoop`` is an asyncio event loop whose clock only moves when
every task is blocked: it then jumps straight to the next timer (the same rule
as ``trio.testing.MockClock(autojump_threshold=0)``).  ``anyio.sleep(60)``
returns at once in real time while ``anyio.current_time()`` advances by 60, so
timeouts, backoffs and simulated LLM latency can be tested exactly and fast.

Use it through anyio's backend options::

    anyio.run(main, backend="asyncio",
              backend_options={"loop_factory": VirtualTimeEventLoop})

Real sockets work when both ends run in this loop (e.g. an aiohttp test server
and its client on 127.0.0.1): like trio's autojump, the clock jumps only when no
task is ready *and* no socket is ready.  I/O that completes elsewhere (another
thread or process, a DNS lookup in an executor) looks idle, so a pending timer
may fire before it.
"""

from __future__ import annotations

import asyncio
import heapq
import selectors
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
        if not ready and scheduled and not self._io_ready():
            self._virtual_now = max(self._virtual_now, scheduled[0].when())
        super()._run_once()  # type: ignore[misc]

    def _io_ready(self) -> bool:
        """Whether a socket is ready now (a zero-timeout poll, as trio's
        autojump does first): a client and server in this loop on loopback
        then exchange bytes before any timer is jumped to."""
        selector: selectors.BaseSelector = self._selector  # type: ignore[attr-defined]
        return bool(selector.select(0))


def backend_options(backend: str) -> dict[str, Any]:
    """anyio backend options giving ``backend`` an autojumping virtual clock."""
    if backend == "trio":
        return {"clock": trio.testing.MockClock(autojump_threshold=0)}
    if backend == "asyncio":
        return {"loop_factory": VirtualTimeEventLoop}
    raise ValueError(f"unknown backend {backend!r}")
