"""The standard middleware stack around a provider."""

from __future__ import annotations

import os

from rafa_async._context import CallCounts
from rafa_async._errors import ConfigError, LLMError, ProviderUnavailable
from rafa_async._events import EventRecorder
from rafa_async.llm._cost import PriceTable
from rafa_async.llm._keys import provider_identity
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse
from rafa_async.llm.middleware._breaker import DEFAULT_MAX_CONSECUTIVE_FAILURES, CircuitBreaker
from rafa_async.llm.middleware._cache import Cache
from rafa_async.llm.middleware._cassette import Recorder, Replayer, ReplayLatency
from rafa_async.llm.middleware._limit import ConcurrencyLimit
from rafa_async.llm.middleware._ratelimit import RateLimit
from rafa_async.llm.middleware._retry import Retry
from rafa_async.llm.middleware._timeout import Timeout
from rafa_async.llm.middleware._trace import Traced
from rafa_async.llm.middleware._usage import UsageMeter


class MiddlewareStack:
    """The standard stack around a provider, with handles on its stateful parts.

    Outermost first, with every option on::

        Traced -> UsageMeter -> CircuitBreaker -> Recorder -> Cache -> Retry -> Timeout
            -> ConcurrencyLimit -> provider

    With ``rpm``/``tpm`` set, the limiters move below Timeout::

        ... -> Retry -> ConcurrencyLimit -> RateLimit -> Timeout -> provider

    and with ``replay=`` a cassette, the Replayer stands in for everything
    below the breaker (no cache, retries, limits or provider: nothing to wait
    for offline)::

        Traced -> UsageMeter -> CircuitBreaker -> Replayer

    The :class:`CircuitBreaker` (on unless
    ``max_consecutive_failures`` is 0) ends the run with
    :class:`ProviderUnavailable` after that many calls in a row failed after
    their retries.  It sits above the cassette layer, so a replay sees the
    recorded outcomes in the same places and stops where its recording did,
    and below the meter, so a refused call is still counted.

    The Recorder (``record=`` a new cassette) sits right where the Replayer
    will, so a cassette holds the logical calls the agents made, each with
    its final outcome (after retries; cache hits included) -- exactly what a
    replay must answer.  UsageMeter stays above both: calls, tokens and cost
    are counted the same way in every mode (cassette answers cost nothing).
    Cache (``cache=`` a path or ``":memory:"``) sits outside Retry and the
    limiters, so a hit spends no rate budget and never waits; it sits below
    UsageMeter so a hit still counts as the call the agent made.  RateLimit sits
    inside Retry so every attempt is limited, directly above the provider's
    Timeout so a granted call is sent at once (the provider sees the limiter's
    pacing) and the timeout measures the provider, not the queue: a backlog of
    rate-limited calls must not turn into timeouts and retries that lose their
    place.  ConcurrencyLimit above it bounds how many calls queue for the rate
    budget.

    ``identity`` names the provider in cache keys and cassette headers
    (default: the provider's own ``identity``, see
    :func:`~rafa_async.llm._keys.provider_identity`); a replay refuses a
    cassette recorded from another LLM than it names.  ``prices`` prices the
    calls (see :class:`UsageMeter`).  The optional layers (rate limits, cache,
    cassettes, prices) are off by default.  Close the stack (``aclose`` or
    ``async with``) when it has files open.
    """

    def __init__(
        self,
        provider: LLM,
        *,
        max_concurrency: int = 64,
        timeout: float | None = 120.0,
        attempts: int = 4,
        retry_seed: int = 0,
        recorder: EventRecorder | None = None,
        rpm: float | None = None,
        tpm: float | None = None,
        rpm_burst: float | None = None,
        tpm_burst: float | None = None,
        cache: str | os.PathLike[str] | None = None,
        identity: str | None = None,
        prices: PriceTable | None = None,
        record: str | os.PathLike[str] | None = None,
        replay: str | os.PathLike[str] | None = None,
        replay_latency: ReplayLatency = "none",
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        if record is not None and replay is not None:
            raise ConfigError("record and replay exclude each other: choose one cassette mode")
        self.provider = provider
        self.identity = identity if identity is not None else provider_identity(provider)
        self.rate_limit: RateLimit | None = None
        inner: LLM = provider
        if rpm is None and tpm is None:
            self.limit = ConcurrencyLimit(inner, max_concurrency)
            inner = self.limit
            if timeout is not None:
                inner = Timeout(inner, timeout)
        else:
            if timeout is not None:
                inner = Timeout(inner, timeout)
            self.rate_limit = RateLimit(
                inner, rpm=rpm, tpm=tpm, rpm_burst=rpm_burst, tpm_burst=tpm_burst
            )
            self.limit = ConcurrencyLimit(self.rate_limit, max_concurrency)
            inner = self.limit
        self.retry = Retry(inner, attempts=attempts, seed=retry_seed)
        inner = self.retry
        self.cache: Cache | None = None
        self.cassette: Recorder | Replayer | None = None
        if replay is not None:
            inner = self.cassette = Replayer(replay, latency=replay_latency, expect=self.identity)
        else:
            if cache is not None:
                inner = self.cache = Cache(inner, cache, identity=self.identity)
            if record is not None:
                inner = self.cassette = Recorder(inner, record, provider=self.identity)
        self.breaker: CircuitBreaker | None = None
        if max_consecutive_failures:
            inner = self.breaker = CircuitBreaker(
                inner, max_consecutive_failures, provider=self.identity
            )
        self.meter = UsageMeter(inner, prices=prices)
        self.llm: LLM = self.meter if recorder is None else Traced(self.meter, recorder)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Complete through the stack; a :attr:`~rafa_async.LLMError.fatal`
        error (after the retries) becomes :class:`ProviderUnavailable`."""
        try:
            return await self.llm.complete(request)
        except LLMError as error:
            if error.fatal:
                raise ProviderUnavailable(str(error)) from error
            raise

    @property
    def totals(self) -> CallCounts:
        return self.meter.totals

    async def aclose(self) -> None:
        """Close the files the stack holds open (idempotent)."""
        if self.cache is not None:
            self.cache.close()
        if self.cassette is not None:
            self.cassette.close()

    async def __aenter__(self) -> MiddlewareStack:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
