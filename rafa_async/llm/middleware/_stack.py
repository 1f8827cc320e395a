"""Composable LLM middleware: each wraps an ``LLM`` and is an ``LLM``.

Recommended order, outermost first (what :class:`MiddlewareStack` builds)::

    Traced -> UsageMeter -> CircuitBreaker -> Retry -> Timeout -> ConcurrencyLimit
        -> provider

Accounting sits outside Retry so one logical call is counted once, whatever
its attempts; so does the circuit breaker, which counts calls failed after
their retries; Timeout sits inside Retry so each attempt gets the full budget;
the limiter is innermost so a call waiting out a backoff holds no slot.  The
breaker and the opt-in layers (rate limit, cache, record/replay, prices) live
in their own modules; :class:`MiddlewareStack` says where each goes and why.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Callable, Iterable

import anyio
import structlog
import tenacity

from rafa_async._context import CALL_NOTE, CallCounts, CallNote, current_scope
from rafa_async._errors import (
    MAX_RETRY_AFTER,
    ConfigError,
    LLMError,
    LLMTimeout,
    ProviderUnavailable,
)
from rafa_async._events import EventRecorder, LLMCallEnded, LLMCallStarted
from rafa_async.llm._cost import PriceTable
from rafa_async.llm._keys import provider_identity
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse
from rafa_async.llm.middleware._breaker import DEFAULT_MAX_CONSECUTIVE_FAILURES, CircuitBreaker
from rafa_async.llm.middleware._cache import Cache
from rafa_async.llm.middleware._cassette import Recorder, Replayer, ReplayLatency
from rafa_async.llm.middleware._ratelimit import RateLimit

_log = structlog.get_logger(__name__)


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


class UsageMeter:
    """Counts every call exactly once as completed, failed or cancelled, with
    its tokens and cost.

    Counts go to ``totals`` (this wrapper's lifetime: the run) and to every
    episode scope of the calling task (see :func:`rafa_async.episode_scope`:
    a match, an agent within it).  A completed call costs, by ``prices``, the
    usage of the model that answered; a call answered by the cache or a
    cassette, or by the simulated LLM, costs nothing.  A model missing from
    ``prices`` (or any real model, without ``prices``) makes the cost unknown
    (``CallCounts.cost`` is ``None``, never a silent 0), with one warning per
    model when a table was given.
    """

    def __init__(self, inner: LLM, *, prices: PriceTable | None = None) -> None:
        self._inner = inner
        self.prices = prices
        self.totals = CallCounts()
        self._warned: set[str] = set()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        tallies = (self.totals, *current_scope().tallies)
        for counts in tallies:
            counts.started += 1
        note = CallNote()
        token = CALL_NOTE.set(note)
        try:
            response = await self._inner.complete(request)
        except anyio.get_cancelled_exc_class():
            for counts in tallies:
                counts.cancelled += 1
            raise
        except BaseException as error:
            name = type(error).__name__
            described = f"{name}: {error}"
            for counts in tallies:
                counts.failed += 1
                counts.errors[name] = counts.errors.get(name, 0) + 1
                counts.last_error = described
            raise
        finally:
            CALL_NOTE.reset(token)
        usage = response.usage
        cost = 0.0 if note.cached or response.simulated else self._cost(request, response)
        for counts in tallies:
            counts.completed += 1
            counts.prompt_tokens += usage.prompt_tokens
            counts.completion_tokens += usage.completion_tokens
            if note.cached:
                counts.cached += 1
            if response.simulated:
                counts.simulated += 1
            if response.time_to_first_token is not None:
                counts.streamed += 1
                counts.ttft_total += response.time_to_first_token
            if cost is None:
                counts.unpriced += 1
            else:
                counts.cost_usd += cost
        return response

    def _cost(self, request: ChatRequest, response: ChatResponse) -> float | None:
        if self.prices is None:
            return None
        model = response.model or request.model
        cost = self.prices.cost(model, response.usage)
        if cost is None and model not in self._warned:
            self._warned.add(model)
            _log.warning(
                "llm_model_unpriced",
                model=model,
                prices_as_of=self.prices.as_of,
                hint="add the model to the price table; its cost is reported as unknown",
            )
        return cost


class Traced:
    """Emits :class:`LLMCallStarted` / :class:`LLMCallEnded` for every call.

    A recorder whose events go nowhere (``recorder.enabled`` False: a
    :class:`~rafa_async.NullSink`, what a run without an event file has) gets
    none: the calls pass straight through, without building or stamping events.
    """

    def __init__(self, inner: LLM, recorder: EventRecorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self._ids = itertools.count()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if not self._recorder.enabled:
            return await self._inner.complete(request)
        call = next(self._ids)
        episode = current_scope().episode
        intent = request.label
        emit = self._recorder.emit
        emit(LLMCallStarted(call=call, episode=episode, intent=intent))
        started = time.perf_counter()
        try:
            response = await self._inner.complete(request)
        except anyio.get_cancelled_exc_class():
            emit(LLMCallEnded(call=call, episode=episode, intent=intent, outcome="cancelled"))
            raise
        except BaseException as error:
            emit(
                LLMCallEnded(
                    call=call,
                    episode=episode,
                    intent=intent,
                    outcome="error",
                    error=f"{type(error).__name__}: {error}",
                )
            )
            raise
        emit(
            LLMCallEnded(
                call=call,
                episode=episode,
                intent=intent,
                outcome="ok",
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
                latency=time.perf_counter() - started,
                ttft=response.time_to_first_token,
            )
        )
        return response


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


def run_stack(
    llm: LLM | None,
    *,
    provider: str,
    sim: Callable[[], LLM],
    max_concurrency: int,
    timeout: float | None,
    retry_seed: int,
    recorder: EventRecorder | None,
) -> MiddlewareStack:
    """The LLM a run (``rafa run``, ``rafa play``) calls through.

    ``llm`` itself if it is already a :class:`MiddlewareStack` (its owner
    configured it); else the standard stack with these options around
    ``llm``, or, when none is given, around ``sim()`` -- which only a run
    whose ``provider`` is ``"sim"`` may default to: a real provider must be
    built and passed in (it needs settings and a key).
    """
    if isinstance(llm, MiddlewareStack):
        return llm
    if llm is None:
        if provider != "sim":
            raise ConfigError(
                f"provider {provider!r} is not built in process: pass llm= (see "
                "rafa_async.adapters.providers.make_provider), or use the rafa CLI"
            )
        llm = sim()
    return MiddlewareStack(
        llm,
        max_concurrency=max_concurrency,
        timeout=timeout,
        retry_seed=retry_seed,
        recorder=recorder,
    )


def total_cost(costs: Iterable[float | None]) -> float | None:
    """The sum of ``costs``, or ``None`` (unknown) if any of them is."""
    total = 0.0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return total
