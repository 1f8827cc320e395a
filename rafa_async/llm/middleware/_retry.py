"""Retrying failed LLM calls with backoff, jitter and the server's wait hint."""

from __future__ import annotations

import random

import anyio
import tenacity

from rafa_async._errors import MAX_RETRY_AFTER, LLMError
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse


class Retry:
    """Retries retryable :class:`LLMError` s with exponential backoff and jitter.

    The delay before retry *n* (1-based) is ``base * 2**(n-1)`` capped at
    ``max_delay``, times a jitter factor in ``[1 - jitter, 1]`` drawn from a
    seeded generator; the server's wait hint (an error's ``retry_after``: a
    429, 503, 529... with ``Retry-After``) is a floor, itself capped at
    :data:`~rafa_async._errors.MAX_RETRY_AFTER` (60 s).
    Non-retryable errors (``retryable`` False, e.g. HTTP 400/401) propagate at
    once.  The first attempt runs without any retry machinery; tenacity drives
    the slow path.  Cancellation during a backoff sleep cancels the call.
    """

    def __init__(
        self,
        inner: LLM,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        jitter: float = 0.5,
        seed: int = 0,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")
        self._inner = inner
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.jitter = jitter
        self._rng = random.Random(seed)
        self.retries = 0

    def delay(self, retry_number: int, error: BaseException | None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based) after ``error``."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        backoff *= 1.0 - self.jitter * self._rng.random()
        if isinstance(error, LLMError) and error.retry_after is not None:
            backoff = max(backoff, min(error.retry_after, MAX_RETRY_AFTER))
        return backoff

    async def complete(self, request: ChatRequest) -> ChatResponse:
        try:
            return await self._inner.complete(request)
        except LLMError as error:
            if not error.retryable or self.attempts == 1:
                raise
            first_error = error
        return await self._retry(request, first_error)

    async def _retry(self, request: ChatRequest, first_error: LLMError) -> ChatResponse:
        self.retries += 1
        await anyio.sleep(self.delay(1, first_error))

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome is not None else None
            return self.delay(state.attempt_number + 1, error)

        def count_retry(state: tenacity.RetryCallState) -> None:
            # Not in ``wait``: tenacity computes the wait before it checks ``stop``.
            self.retries += 1

        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self.attempts - 1),
            wait=wait,
            before_sleep=count_retry,
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, LLMError) and e.retryable),
            sleep=anyio.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._inner.complete(request)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover
