"""A time limit on each LLM call (each attempt, below Retry)."""

from __future__ import annotations

import anyio

from rafa_async._errors import LLMTimeout
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse


class Timeout:
    """Fails a call with :class:`LLMTimeout` after ``seconds`` (per attempt)."""

    def __init__(self, inner: LLM, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {seconds}")
        self._inner = inner
        self.seconds = seconds

    async def complete(self, request: ChatRequest) -> ChatResponse:
        with anyio.move_on_after(self.seconds):
            return await self._inner.complete(request)
        raise LLMTimeout(f"LLM call ({request.label}) took longer than {self.seconds:g}s")
