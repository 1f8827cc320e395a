"""Bounding the calls in flight through one LLM."""

from __future__ import annotations

import anyio

from rafa_async.llm._types import LLM, ChatRequest, ChatResponse


class ConcurrencyLimit:
    """At most ``limit`` calls in flight through this wrapper.

    Waiting for a slot is cancellable; the slot is released however the call
    ends.  A free slot is taken without awaiting (``acquire_nowait``: ~4 us
    less a call than ``async with`` the semaphore, whose fast path still
    makes three coroutines and a cancellation check; the call checks for
    cancellation at its first await anyway).  ``peak`` records the highest
    concurrency reached (for tests and benchmarks).
    """

    def __init__(self, inner: LLM, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency limit must be >= 1, got {limit}")
        self._inner = inner
        self._semaphore = anyio.Semaphore(limit, fast_acquire=True)
        self.limit = limit
        self.in_flight = 0
        self.peak = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        semaphore = self._semaphore
        try:
            semaphore.acquire_nowait()
        except anyio.WouldBlock:
            await semaphore.acquire()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self._inner.complete(request)
        finally:
            self.in_flight -= 1
            semaphore.release()
