"""RateLimit: RPM/TPM windows under load, FIFO, cancellation, usage correction."""

from __future__ import annotations

import random
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from rafa_async import ConfigError, ProviderError, RateLimited
from rafa_async.llm import (
    ChatRequest,
    ChatResponse,
    Message,
    MiddlewareStack,
    RateLimit,
    Usage,
    prompt_tokens,
)

pytestmark = pytest.mark.anyio


def request(prompt: int = 4, *, max_tokens: int | None = 10, tag: str = "") -> ChatRequest:
    """A request whose prompt estimates at exactly ``prompt`` (>= 4) tokens,
    tagged through its model name."""
    text = "x" * (4 * (prompt - 3))
    return ChatRequest(messages=(Message("user", text),), max_tokens=max_tokens, model=tag or "m")


class MeteredLLM:
    """Records (start time, reserved tokens, tag) of every call; answers with
    usage equal to the estimate unless told otherwise."""

    def __init__(self, *, latency: float = 0.0, completion: int | None = None) -> None:
        self.latency = latency
        self.completion = completion
        self.starts: list[tuple[float, int, str]] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        prompt = prompt_tokens(request)
        completion = self.completion if self.completion is not None else request.max_tokens or 0
        reserved = prompt + (request.max_tokens or 0)
        self.starts.append((anyio.current_time(), reserved, request.model))
        if self.latency:
            await anyio.sleep(self.latency)
        else:
            await anyio.lowlevel.checkpoint()
        return ChatResponse(text="ok", model="metered", usage=Usage(prompt, completion))

    def order(self) -> list[str]:
        return [tag for _, _, tag in self.starts]


def max_in_any_window(events: list[tuple[float, float]], window: float = 60.0) -> float:
    """The largest sum of amounts over any half-open window [t, t + window)."""
    events = sorted(events)
    best = 0.0
    for i, (start, _) in enumerate(events):
        best = max(best, sum(a for t, a in events[i:] if t < start + window))
    return best


async def gather(llm: Any, requests: list[ChatRequest]) -> None:
    async with anyio.create_task_group() as tg:
        for r in requests:
            tg.start_soon(llm.complete, r)


# -- windows under load --------------------------------------------------------------------


@pytest.mark.parametrize("burst", [None, 1.0, 20.0, 60.0])
async def test_200_callers_never_exceed_rpm_in_any_window(
    anyio_backend: Any, burst: float | None
) -> None:
    provider = MeteredLLM(latency=0.5)
    limiter = RateLimit(provider, rpm=60, rpm_burst=burst)
    await gather(limiter, [request() for _ in range(200)])
    starts = [(t, 1.0) for t, _, _ in provider.starts]
    assert len(starts) == 200
    assert max_in_any_window(starts) == 60
    # ...and no slower than it must be: one a second, or bursts that refill the
    # window as soon as its oldest grants expire (60 a minute either way).
    assert provider.starts[-1][0] == pytest.approx(199.0 if (burst or 1.0) == 1.0 else 180.0)


async def test_rpm_bursts_one_seconds_worth_then_paces_evenly(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    await gather(RateLimit(provider, rpm=120), [request() for _ in range(10)])
    times = [t for t, _, _ in provider.starts]
    assert times == pytest.approx([0.0, 0.0, *(0.5 * i for i in range(1, 9))])


async def test_200_callers_never_exceed_tpm_in_any_window(anyio_backend: Any) -> None:
    rng = random.Random(5)
    provider = MeteredLLM(latency=2.0)
    limiter = RateLimit(provider, tpm=5000)
    requests = [request(rng.randint(4, 300), max_tokens=rng.randint(1, 200)) for _ in range(200)]
    await gather(limiter, requests)
    tokens = [(t, float(n)) for t, n, _ in provider.starts]
    assert len(tokens) == 200
    assert max_in_any_window(tokens) <= 5000
    assert max_in_any_window(tokens) > 4500  # the budget is actually used


async def test_rpm_and_tpm_together_hold_both(anyio_backend: Any) -> None:
    rng = random.Random(9)
    provider = MeteredLLM(latency=1.0)
    limiter = RateLimit(provider, rpm=50, tpm=3000, rpm_burst=10)
    await gather(limiter, [request(rng.randint(4, 80)) for _ in range(200)])
    assert max_in_any_window([(t, 1.0) for t, _, _ in provider.starts]) <= 50
    assert max_in_any_window([(t, float(n)) for t, n, _ in provider.starts]) <= 3000


async def test_tpm_burst_paces_tokens_within_the_minute(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    limiter = RateLimit(provider, tpm=6000, tpm_burst=1000)
    big = request(400, max_tokens=0)
    assert limiter.estimate(big) == 400
    await gather(limiter, [big] * 5)
    times = [t for t, _, _ in provider.starts]
    # Two fit the burst at once; then 400 tokens refill at 100 tokens/s.
    assert times == pytest.approx([0.0, 0.0, 2.0, 6.0, 10.0])


# -- FIFO and cancellation --------------------------------------------------------------


async def test_waiters_are_served_in_arrival_order(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    limiter = RateLimit(provider, rpm=60)
    async with anyio.create_task_group() as tg:
        for i in range(8):
            tg.start_soon(limiter.complete, request(tag=f"r{i}"))
            await anyio.lowlevel.checkpoint()
    assert provider.order() == [f"r{i}" for i in range(8)]


async def test_a_large_request_is_not_overtaken_by_small_ones(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    limiter = RateLimit(provider, tpm=1000)
    await limiter.complete(request(800, max_tokens=0, tag="first"))  # 800 of 1000 used
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.complete, request(500, max_tokens=0, tag="large"))
        await anyio.lowlevel.checkpoint()
        for i in range(5):
            tg.start_soon(limiter.complete, request(10, max_tokens=0, tag=f"small{i}"))
            await anyio.lowlevel.checkpoint()
        await anyio.sleep(1.0)
        assert provider.order() == ["first"]  # the small ones would fit, but wait their turn
    assert provider.order() == ["first", "large", *(f"small{i}" for i in range(5))]
    assert provider.starts[1][0] == pytest.approx(60.0)


async def test_a_cancelled_waiter_gives_up_its_place(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    limiter = RateLimit(provider, rpm=60)
    await limiter.complete(request(tag="first"))
    doomed = anyio.CancelScope()

    async def head() -> None:
        with doomed:
            await limiter.complete(request(tag="head"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(head)
        await anyio.lowlevel.checkpoint()
        tg.start_soon(limiter.complete, request(tag="second"))
        await anyio.sleep(0.5)
        assert limiter.queued == 2
        doomed.cancel()
        await anyio.sleep(0.1)
        assert limiter.queued == 1
    assert provider.order() == ["first", "second"]
    assert provider.starts[1][0] == pytest.approx(1.0)
    assert limiter.queued == 0


async def test_a_cancelled_waiter_in_the_middle_keeps_the_order(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    limiter = RateLimit(provider, rpm=60)
    async with anyio.create_task_group() as tg:
        scopes = []
        for i in range(5):
            scope = anyio.CancelScope()
            scopes.append(scope)

            async def one(scope: anyio.CancelScope = scope, i: int = i) -> None:
                with scope:
                    await limiter.complete(request(tag=f"r{i}"))

            tg.start_soon(one)
            await anyio.lowlevel.checkpoint()
        await anyio.sleep(0.5)
        scopes[2].cancel()
    assert provider.order() == ["r0", "r1", "r3", "r4"]
    assert [t for t, _, _ in provider.starts] == pytest.approx([0.0, 1.0, 2.0, 3.0])


async def test_waiting_is_cancellable(anyio_backend: Any) -> None:
    limiter = RateLimit(MeteredLLM(), rpm=1)
    await limiter.complete(request())
    with anyio.move_on_after(5.0) as scope:
        await limiter.complete(request())
    assert scope.cancelled_caught
    assert limiter.queued == 0


# -- usage correction -------------------------------------------------------------------------


async def test_a_call_using_less_than_reserved_refunds_and_wakes_the_next(
    anyio_backend: Any,
) -> None:
    provider = MeteredLLM(latency=5.0, completion=6)  # reserves 100 + 4, uses 4 + 6
    limiter = RateLimit(provider, tpm=150)
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.complete, request(max_tokens=100, tag="a"))
        await anyio.lowlevel.checkpoint()
        tg.start_soon(limiter.complete, request(max_tokens=100, tag="b"))
    # b fits only once a's reservation is corrected to its actual usage, at t=5.
    assert [t for t, _, _ in provider.starts] == pytest.approx([0.0, 5.0])


async def test_a_call_using_more_than_reserved_is_charged(anyio_backend: Any) -> None:
    provider = MeteredLLM(completion=500)
    limiter = RateLimit(provider, tpm=600)
    await limiter.complete(request(tag="a"))  # reserves 4 + 10, uses 4 + 500
    await limiter.complete(request(tag="b"))  # 504 + 14 <= 600
    await limiter.complete(request(tag="c"))  # must wait for a to leave the window
    assert [t for t, _, _ in provider.starts] == pytest.approx([0.0, 0.0, 60.0])


async def test_a_failed_call_keeps_its_prompt_and_refunds_its_completion(
    anyio_backend: Any,
) -> None:
    class Failing:
        async def complete(self, request: ChatRequest) -> ChatResponse:
            await anyio.lowlevel.checkpoint()
            raise ProviderError("boom", status=500, retryable=True)

    limiter = RateLimit(Failing(), tpm=1000)
    for _ in range(3):
        with pytest.raises(ProviderError):
            await limiter.complete(request(200, max_tokens=300))  # 200 prompt + 300
    budget = limiter._tokens
    assert budget is not None
    assert budget.total == 3 * 200


async def test_a_cancelled_call_refunds_its_completion_estimate(anyio_backend: Any) -> None:
    limiter = RateLimit(MeteredLLM(latency=10.0), tpm=1000)
    with anyio.move_on_after(1.0):
        await limiter.complete(request(200, max_tokens=300))
    assert limiter._tokens is not None
    assert limiter._tokens.total == 200


# -- errors and 429 ----------------------------------------------------------------------------


async def test_a_request_that_can_never_fit_fails_at_once(anyio_backend: Any) -> None:
    limiter = RateLimit(MeteredLLM(), tpm=1000, tpm_burst=500)
    with pytest.raises(ConfigError, match=r"~604 estimated tokens.*tpm_burst=500"):
        await limiter.complete(request(max_tokens=600))
    assert anyio.current_time() == 0.0


@pytest.mark.parametrize(
    "options",
    [{"rpm": 0}, {"tpm": -5}, {"rpm": 60, "rpm_burst": 0.5}, {"rpm": 10, "rpm_burst": 11}],
)
def test_bad_limits_are_rejected(options: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        RateLimit(MeteredLLM(), **options)


class Once429(MeteredLLM):
    """Answers 429 (or ``status``) with a ``retry_after`` hint to its first call only."""

    def __init__(self, retry_after: float, status: int = 429) -> None:
        super().__init__()
        self.retry_after = retry_after
        self.status = status

    async def complete(self, request: ChatRequest) -> ChatResponse:
        response = await super().complete(request)
        if len(self.starts) == 1:
            if self.status == 429:
                raise RateLimited("slow down", retry_after=self.retry_after)
            raise ProviderError(
                "overloaded", status=self.status, retryable=True, retry_after=self.retry_after
            )
        return response


@pytest.mark.parametrize("status", [429, 503, 529])
async def test_a_retry_after_hint_pauses_every_caller(anyio_backend: Any, status: int) -> None:
    provider = Once429(30.0, status)
    limiter = RateLimit(provider, rpm=600, rpm_burst=10)
    with pytest.raises(RateLimited if status == 429 else ProviderError):
        await limiter.complete(request())
    await gather(limiter, [request() for _ in range(3)])
    assert [t for t, _, _ in provider.starts] == pytest.approx([0.0, 30.0, 30.0, 30.0])


async def test_an_absurd_retry_after_pauses_callers_a_minute_at_most(anyio_backend: Any) -> None:
    provider = Once429(86_400.0, 503)
    limiter = RateLimit(provider, rpm=600, rpm_burst=10)
    with pytest.raises(ProviderError):
        await limiter.complete(request())
    await limiter.complete(request())
    assert [t for t, _, _ in provider.starts] == pytest.approx([0.0, 60.0])


async def test_pause_until_only_extends(anyio_backend: Any) -> None:
    provider = MeteredLLM()
    limiter = RateLimit(provider, rpm=600)
    limiter.pause_until(20.0)
    limiter.pause_until(5.0)
    await limiter.complete(request())
    assert provider.starts[0][0] == pytest.approx(20.0)


async def test_stack_retries_a_429_through_the_limiter(anyio_backend: Any) -> None:
    provider = Once429(12.0)
    stack = MiddlewareStack(provider, rpm=600, attempts=3)
    await stack.complete(request())
    assert [t for t, _, _ in provider.starts] == pytest.approx([0.0, 12.0], abs=0.5)
    assert stack.rate_limit is not None
    assert stack.totals.completed == 1


async def test_stack_queues_a_backlog_without_timing_out(anyio_backend: Any) -> None:
    provider = MeteredLLM(latency=1.0)
    stack = MiddlewareStack(provider, rpm=60, timeout=5.0, max_concurrency=16)
    await gather(stack, [request() for _ in range(200)])
    assert stack.totals.completed == 200
    assert stack.totals.failed == 0
    assert max_in_any_window([(t, 1.0) for t, _, _ in provider.starts]) == 60
    assert stack.limit.peak == 16
