"""A circuit breaker: stop a run whose provider fails call after call.

Planners shrug off a failed LLM call and sample on, which is right for a
provider that fails now and then -- and wrong for one that fails every call
(a server answering 500 to everything, or hanging past every timeout): the
run would go on to the end, every task "not solved", with nothing said.  A
fatal error (a rejected key, an unknown model) already stops a run at once
(:class:`~rafa_async.llm.MiddlewareStack` raises
:class:`~rafa_async.ProviderUnavailable`); this layer stops it when errors
that are each retryable keep coming.

Why :data:`DEFAULT_MAX_CONSECUTIVE_FAILURES` is 10: a call counts as failed
only after its retries (4 attempts, backing off several seconds, honouring the
server's ``Retry-After``), so on a provider that works even a 50 % error rate
makes a failed call rare (0.5**4, about 6 %) and ten in a row all but
impossible (about 1e-12); a provider that is down fails every call in flight
within one retry budget, and a run has tens to hundreds in flight, so ten are
reached in its first wave of calls -- seconds, not the whole run.  Much lower
would let a few unlucky calls during a short outage stop a long run.
"""

from __future__ import annotations

from rafa_async._errors import LLMError, ProviderUnavailable
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse

DEFAULT_MAX_CONSECUTIVE_FAILURES = 10
"""Calls failing in a row (after their retries) that stop a run; 0: never."""


class CircuitBreaker:
    """Raises :class:`~rafa_async.ProviderUnavailable` once ``max_failures``
    calls in a row have failed with an :class:`~rafa_async.LLMError`.

    What counts: a call that ends in an ``LLMError`` (below this layer: after
    its retries) adds one; a call that returns an answer resets the count to 0
    (an answer from the cache or a cassette too -- the breaker counts what the
    agents get, so a replay stops exactly where its recording did).  A
    cancelled call, and an error that is not an ``LLMError`` (a bug, a
    configuration error, a cassette mismatch), neither adds nor resets.

    "In a row" is by completion order: with many calls in flight, the count
    follows the order in which they end, whichever task made them.  One
    answer between failures resets it, so a provider that still answers
    some calls is never cut off; one that answers none trips it within its
    first wave of calls in flight.

    Once tripped, the breaker stays open: the call that made the
    ``max_failures``-th failure, every call still in flight that fails
    afterwards, and every later call (at once, without reaching the provider)
    raise ``ProviderUnavailable`` naming ``provider``, ``max_failures`` and
    the last error -- which ends the run with that one line, as a fatal error
    does.  A call in flight that succeeds after the trip keeps its answer.
    ``max_failures`` 0 turns the breaker off (every call passes through).
    """

    def __init__(self, inner: LLM, max_failures: int, *, provider: str) -> None:
        if max_failures < 0:
            raise ValueError(f"max_failures must be >= 0 (0: off), got {max_failures}")
        self._inner = inner
        self.max_failures = max_failures
        self.provider = provider
        self.failures = 0
        """Calls failed in a row so far (by completion order)."""
        self.tripped: ProviderUnavailable | None = None
        """The error every call raises once the breaker is open."""
        self._last: LLMError | None = None

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if self.tripped is not None:
            raise self._refusal() from self._last
        try:
            response = await self._inner.complete(request)
        except LLMError as error:
            if not self.max_failures:
                raise
            self.failures += 1
            self._last = error
            if self.tripped is None and self.failures >= self.max_failures:
                self.tripped = ProviderUnavailable(
                    f"{self.provider} looks unavailable: {self.failures} LLM calls in a row "
                    "failed after their retries, so the run stops (max_consecutive_failures "
                    f"is {self.max_failures}; 0 never stops); the last error: "
                    f"{type(error).__name__}: {error}"
                )
            if self.tripped is not None:
                raise self._refusal() from error
            raise
        self.failures = 0
        return response

    def _refusal(self) -> ProviderUnavailable:
        # A fresh exception per call: one raised object must not collect the
        # tracebacks of many tasks.
        assert self.tripped is not None
        return ProviderUnavailable(str(self.tripped))
