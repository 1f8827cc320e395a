"""RPM/TPM rate limiting, shared by every caller of one provider.

Hand-rolled and small on purpose: aiolimiter is asyncio-only (this layer runs
on trio too), and no well-kept anyio limiter reserves an estimate and then
corrects it with the provider's actual usage, which TPM needs.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque

import anyio
import structlog

from rafa_async._errors import MAX_RETRY_AFTER, ConfigError, LLMError
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse, prompt_tokens

WINDOW = 60.0
"""Seconds over which ``rpm`` and ``tpm`` are counted."""

# Float slack on the pacing bucket only (the window check is exact): sleeping
# until a computed refill time may leave the level an ulp short of the need.
_SLACK = 1e-6

_log = structlog.get_logger(__name__)


class _Grant:
    """One reservation in a budget; the caller may later correct its amount."""

    __slots__ = ("amount", "time")

    def __init__(self, time: float, amount: float) -> None:
        self.time = time
        self.amount = amount


class _Budget:
    """At most ``limit`` units granted in any :data:`WINDOW`, at most ``burst``
    at once above the steady rate ``limit / WINDOW``.

    Two parts: a log of the grants of the last window (so the per-window
    promise holds exactly, which a lone token bucket of capacity > 1 cannot
    give), and a token bucket of capacity ``burst`` that paces grants.  The
    wait for an amount is computed, never polled for: the bucket's refill time,
    or the expiry of the oldest grants that must leave the window first.
    """

    def __init__(self, unit: str, limit: float, burst: float) -> None:
        self.unit = unit
        self.limit = limit
        self.burst = burst
        self.rate = limit / WINDOW
        self.level = burst
        self.updated: float | None = None
        self.grants: deque[_Grant] = deque()
        self.total = 0.0

    def _advance(self, now: float) -> None:
        if self.updated is not None:
            self.level = min(self.burst, self.level + (now - self.updated) * self.rate)
        self.updated = now
        grants = self.grants
        while grants and grants[0].time + WINDOW <= now:
            self.total -= grants.popleft().amount

    def ready_at(self, amount: float, now: float) -> float:
        """The earliest time ``amount`` can be granted (``<= now``: at once)."""
        self._advance(now)
        ready = now
        if self.level < amount - _SLACK:
            ready = now + (amount - self.level) / self.rate
        excess = self.total + amount - self.limit
        if excess > 0:
            freed = 0.0
            for grant in self.grants:
                freed += grant.amount
                if freed >= excess:
                    return max(ready, grant.time + WINDOW)
        return ready

    def fits(self, amount: float, now: float) -> bool:
        """Whether ``amount`` can be granted at ``now`` (``ready_at <= now``)."""
        self._advance(now)
        return self.level >= amount - _SLACK and self.total + amount <= self.limit

    def take(self, amount: float, now: float) -> _Grant:
        """Grant ``amount``; only right after ``ready_at(amount, now)`` said so."""
        self.level -= amount
        grant = _Grant(now, amount)
        self.grants.append(grant)
        self.total += amount
        return grant

    def adjust(self, grant: _Grant, delta: float, now: float) -> None:
        """Charge (``delta > 0``) or refund (``< 0``) ``grant`` after the fact.

        The correction counts in the window the grant was made in; once that
        has passed, a refund is moot and a charge counts from now.
        """
        self._advance(now)
        self.level = min(self.burst, self.level - delta)
        if grant.time + WINDOW > now:
            grant.amount += delta
            self.total += delta
        elif delta > 0:
            self.grants.append(_Grant(now, delta))
            self.total += delta


def _budget(unit: str, limit: float | None, burst: float | None, default: float) -> _Budget | None:
    if limit is None:
        return None
    if not limit > 0:
        raise ConfigError(f"{unit} per minute must be > 0, got {limit}")
    burst = default if burst is None else burst
    if not 1 <= burst <= limit:
        raise ConfigError(f"the {unit} burst must be between 1 and the limit {limit}, not {burst}")
    return _Budget(unit, limit, burst)


class RateLimit:
    """Holds calls back so that the provider sees at most ``rpm`` requests and
    ``tpm`` tokens in any 60 s window.

    Requests cost one unit of the RPM budget, never refunded (providers count
    failed requests too).  TPM reserves an estimate before the call --
    ``prompt_tokens(request)`` plus ``max_tokens``, or ``completion_estimate``
    when the request sets none -- then corrects it with the response's usage:
    a refund if the call used less, a charge if more (later callers wait for
    the overrun).  A call that fails or is cancelled keeps its prompt estimate
    (the provider may have counted it) and refunds the completion estimate.

    ``rpm_burst`` (default: one second's worth, at least 1) and ``tpm_burst``
    (default: the whole ``tpm``) cap how much may go at once above the steady
    rate, since providers often enforce a per-minute limit over shorter
    periods.  The window promise holds whatever the bursts; the sustained
    rate is the limit itself.

    Callers are served first come, first served: a large request at the head
    is never overtaken by small ones behind it.  Only the head waiter sleeps
    on a timer -- exactly until its budget is ready, or until a refund wakes
    it early -- and hands over to the next when granted, cancelled or failed.
    Waiting is cancellable at any point and gives up the place in the queue.
    A request that could never fit (more tokens than ``tpm`` or ``tpm_burst``)
    raises :class:`~rafa_async.ConfigError` at once instead of waiting forever.

    Share one instance among every agent and match of a process that uses the
    same provider account (it is bound to one event loop, like any anyio
    primitive).  When the provider answers with a wait hint (an error's
    ``retry_after``: a 429, or a 503 or 529 with ``Retry-After``), the limiter
    pauses *all* its callers for that long (up to
    :data:`~rafa_async._errors.MAX_RETRY_AFTER`; see :meth:`pause_until`) and
    re-raises; the Retry middleware outside then backs off (at least
    ``retry_after``) and its next attempt queues here again.
    """

    def __init__(
        self,
        inner: LLM,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        rpm_burst: float | None = None,
        tpm_burst: float | None = None,
        completion_estimate: int = 256,
    ) -> None:
        if completion_estimate < 0:
            raise ConfigError(f"completion_estimate must be >= 0, got {completion_estimate}")
        self._inner = inner
        self._requests = _budget("requests", rpm, rpm_burst, max(1.0, (rpm or 0.0) / WINDOW))
        self._tokens = _budget("tokens", tpm, tpm_burst, tpm or 0.0)
        self.completion_estimate = completion_estimate
        self.paused_until = -math.inf
        self.waits = 0
        """Calls that could not go at once and queued."""
        self._queue: OrderedDict[anyio.Event, None] = OrderedDict()
        self._changed: anyio.Event | None = None

    @property
    def queued(self) -> int:
        """Callers waiting now (the head one included)."""
        return len(self._queue)

    def estimate(self, request: ChatRequest) -> int:
        """Tokens reserved for ``request`` before it is sent."""
        completion = request.max_tokens
        if completion is None:
            completion = self.completion_estimate
        return prompt_tokens(request) + completion

    def pause_until(self, deadline: float) -> None:
        """Grant nothing before ``deadline`` (``anyio.current_time()`` clock).

        For a provider's "retry after" hint, from an adapter or from this
        limiter itself when a call fails with a ``retry_after`` hint.
        Pauses only ever extend: an earlier deadline than the current one is
        ignored.
        """
        if deadline > self.paused_until:
            self.paused_until = deadline
            _log.info("rate_limit_paused", until=deadline)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        tokens = self.estimate(request) if self._tokens is not None else 0
        now = anyio.current_time()
        if not self._queue and self._fits_now(tokens, now):
            grant = self._take(tokens, now)  # the common case: no queue, budget to spare
        else:
            grant = await self.acquire(tokens)
        try:
            response = await self._inner.complete(request)
        except LLMError as error:
            if error.retry_after is not None:
                wait = min(error.retry_after, MAX_RETRY_AFTER)
                self.pause_until(anyio.current_time() + wait)
            self._settle(grant, request, None)
            raise
        except BaseException:
            self._settle(grant, request, None)
            raise
        self._settle(grant, request, response)
        return response

    async def acquire(self, tokens: int = 0) -> _Grant | None:
        """Wait for one request and ``tokens`` tokens; returns the token grant
        (``None`` without a TPM budget) for :meth:`complete` to correct."""
        self._check_fits(tokens)
        now = anyio.current_time()
        if not self._queue and self._ready_at(tokens, now) <= now:
            return self._take(tokens, now)
        turn = anyio.Event()
        self._queue[turn] = None
        self.waits += 1
        try:
            if next(iter(self._queue)) is not turn:
                await turn.wait()
            while True:
                now = anyio.current_time()
                ready = self._ready_at(tokens, now)
                if ready <= now:
                    return self._take(tokens, now)
                self._changed = anyio.Event()
                with anyio.CancelScope(deadline=ready):
                    await self._changed.wait()
        finally:
            del self._queue[turn]
            if self._queue:
                next(iter(self._queue)).set()

    def _check_fits(self, tokens: int) -> None:
        budget = self._tokens
        if budget is not None and tokens > min(budget.limit, budget.burst):
            raise ConfigError(
                f"a request of ~{tokens} estimated tokens can never fit the rate limit "
                f"(tpm={budget.limit:g}, tpm_burst={budget.burst:g}): raise tpm or tpm_burst, "
                "or lower the request's max_tokens"
            )

    def _fits_now(self, tokens: int, now: float) -> bool:
        """Whether one request and ``tokens`` can be granted at ``now`` (the
        fast path of :meth:`acquire`, without computing a wait)."""
        if now < self.paused_until:
            return False
        requests, budget = self._requests, self._tokens
        if requests is not None and not requests.fits(1, now):
            return False
        if budget is not None:
            if tokens > min(budget.limit, budget.burst):
                return False  # acquire raises the clear error
            return budget.fits(tokens, now)
        return True

    def _ready_at(self, tokens: int, now: float) -> float:
        ready = self.paused_until
        if self._requests is not None:
            ready = max(ready, self._requests.ready_at(1, now))
        if self._tokens is not None:
            ready = max(ready, self._tokens.ready_at(tokens, now))
        return ready

    def _take(self, tokens: int, now: float) -> _Grant | None:
        if self._requests is not None:
            self._requests.take(1, now)
        return self._tokens.take(tokens, now) if self._tokens is not None else None

    def _settle(
        self, grant: _Grant | None, request: ChatRequest, response: ChatResponse | None
    ) -> None:
        if grant is None or self._tokens is None:
            return
        used = response.usage.total_tokens if response is not None else prompt_tokens(request)
        delta = used - grant.amount
        if delta:
            self._tokens.adjust(grant, delta, anyio.current_time())
        if delta < 0 and self._changed is not None:
            self._changed.set()
