"""LLM middleware: limits, timeouts, retries, accounting and tracing."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from support import EchoLLM

from rafa_async import (
    EpisodeScope,
    Event,
    EventRecorder,
    ListSink,
    LLMCallEnded,
    LLMCallStarted,
    LLMError,
    LLMTimeout,
    MalformedResponse,
    NullSink,
    ProviderError,
    RateLimited,
    episode_scope,
)
from rafa_async.llm import (
    LLM,
    ChatRequest,
    ChatResponse,
    ConcurrencyLimit,
    Intent,
    Message,
    MiddlewareStack,
    Retry,
    Timeout,
    Traced,
    Usage,
    UsageMeter,
)

pytestmark = pytest.mark.anyio

REQUEST = ChatRequest(messages=(Message("user", "What is 4 + 9?"),))
PROPOSE = ChatRequest(
    messages=(Message("user", "propose"),),
    intent=Intent(kind="propose", scenario="game24", state="4 9 10 13"),
)
USAGE = Usage(prompt_tokens=3, completion_tokens=5)


class ScriptedLLM:
    """Raises its scripted errors one per call, in order, then answers.

    Each call takes ``latency`` virtual seconds; ``call_times`` records when
    each call started.
    """

    def __init__(self, *errors: BaseException, latency: float = 0.0) -> None:
        self.script = list(errors)
        self.latency = latency
        self.call_times: list[float] = []

    @property
    def calls(self) -> int:
        return len(self.call_times)

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.call_times, self.call_times[1:], strict=False)]

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.call_times.append(anyio.current_time())
        if self.latency:
            await anyio.sleep(self.latency)
        else:
            await anyio.lowlevel.checkpoint()
        if self.script:
            raise self.script.pop(0)
        return ChatResponse(text=f"answer {self.calls}", model="scripted", usage=USAGE)


class SleepyLLM:
    """Takes ``seconds`` per call and tracks its own concurrency."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await anyio.sleep(self.seconds)
        finally:
            self.in_flight -= 1
        return ChatResponse(text="slept", model="sleepy", usage=USAGE)


def retryable(message: str = "server error") -> ProviderError:
    return ProviderError(message, status=500, retryable=True)


async def call_concurrently(llm: LLM, n: int) -> list[ChatResponse]:
    responses: list[ChatResponse] = []

    async def one() -> None:
        responses.append(await llm.complete(REQUEST))

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    return responses


async def elapsed_raising(llm: LLM, exc: type[BaseException]) -> tuple[float, BaseException]:
    start = anyio.current_time()
    with pytest.raises(exc) as info:
        await llm.complete(REQUEST)
    return anyio.current_time() - start, info.value


# -- ConcurrencyLimit ------------------------------------------------------------


async def test_concurrency_limit_is_reached_and_never_exceeded(anyio_backend: Any) -> None:
    provider = SleepyLLM(1.0)
    limit = ConcurrencyLimit(provider, 5)
    responses = await call_concurrently(limit, 40)
    assert len(responses) == 40
    assert limit.peak == 5
    assert provider.peak == 5


async def test_concurrency_limit_queues_calls_in_waves(anyio_backend: Any) -> None:
    limit = ConcurrencyLimit(SleepyLLM(1.0), 5)
    start = anyio.current_time()
    await call_concurrently(limit, 40)
    assert anyio.current_time() - start == pytest.approx(8.0)


async def test_concurrency_limit_serves_waiting_callers_first_come_first_served(
    anyio_backend: Any,
) -> None:
    limit = ConcurrencyLimit(SleepyLLM(1.0), 1)
    served: list[str] = []

    async def call_at(name: str, when: float) -> None:
        await anyio.sleep(when)
        await limit.complete(REQUEST)
        served.append(name)

    async with anyio.create_task_group() as tg:
        tg.start_soon(call_at, "first", 0.0)
        tg.start_soon(call_at, "queued", 0.5)
        # Arrives as the first call's slot frees: it must not overtake "queued".
        tg.start_soon(call_at, "late", 1.0)
    assert served == ["first", "queued", "late"]
    assert limit.peak == 1


async def test_concurrency_limit_releases_slots_of_failed_calls(anyio_backend: Any) -> None:
    limit = ConcurrencyLimit(ScriptedLLM(retryable(), retryable()), 1)
    for _ in range(2):
        with pytest.raises(ProviderError):
            await limit.complete(REQUEST)
    assert limit.in_flight == 0
    assert (await limit.complete(REQUEST)).text == "answer 3"


async def test_concurrency_limit_releases_slots_of_cancelled_calls(anyio_backend: Any) -> None:
    limit = ConcurrencyLimit(SleepyLLM(10.0), 2)
    with anyio.move_on_after(1.0):
        await call_concurrently(limit, 6)
    assert limit.in_flight == 0
    with anyio.fail_after(15.0):
        await call_concurrently(limit, 2)


@pytest.mark.parametrize("limit", [0, -1])
def test_concurrency_limit_rejects_a_limit_below_one(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        ConcurrencyLimit(SleepyLLM(1.0), limit)


# -- Timeout ---------------------------------------------------------------------


async def test_timeout_raises_llm_timeout_after_exactly_the_timeout(anyio_backend: Any) -> None:
    elapsed, error = await elapsed_raising(Timeout(SleepyLLM(100.0), 2.5), LLMTimeout)
    assert elapsed == pytest.approx(2.5)
    assert "2.5s" in str(error)


async def test_llm_timeout_is_retryable(anyio_backend: Any) -> None:
    _, error = await elapsed_raising(Timeout(SleepyLLM(100.0), 1.0), LLMTimeout)
    assert isinstance(error, LLMError)
    assert error.retryable


async def test_timeout_passes_a_fast_response_through(anyio_backend: Any) -> None:
    response = await Timeout(SleepyLLM(2.0), 2.5).complete(REQUEST)
    assert response.text == "slept"


async def test_timeout_does_not_turn_outer_cancellation_into_llm_timeout(
    anyio_backend: Any,
) -> None:
    with anyio.move_on_after(1.0) as outer:
        await Timeout(SleepyLLM(100.0), 5.0).complete(REQUEST)
    assert outer.cancelled_caught


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_timeout_rejects_a_non_positive_timeout(seconds: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        Timeout(SleepyLLM(1.0), seconds)


# -- Retry -----------------------------------------------------------------------


async def test_retry_returns_the_first_success(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), retryable())
    response = await Retry(provider, attempts=4).complete(REQUEST)
    assert response.text == "answer 3"
    assert provider.calls == 3


async def test_retry_backs_off_exponentially_within_jitter_bounds(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), retryable(), retryable(), retryable())
    retry = Retry(provider, attempts=5, base_delay=1.0, jitter=0.5, max_delay=100.0)
    await retry.complete(REQUEST)
    gaps = provider.gaps()
    assert len(gaps) == 4
    for n, gap in enumerate(gaps, start=1):
        ceiling = 1.0 * 2 ** (n - 1)
        assert ceiling * 0.5 <= gap <= ceiling


async def test_retry_without_jitter_waits_exactly_the_backoff(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), retryable(), retryable())
    start = anyio.current_time()
    await Retry(provider, attempts=4, base_delay=0.5, jitter=0.0).complete(REQUEST)
    assert provider.gaps() == pytest.approx([0.5, 1.0, 2.0])
    assert anyio.current_time() - start == pytest.approx(3.5)


async def test_retry_caps_the_backoff_at_max_delay(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), retryable(), retryable(), retryable())
    retry = Retry(provider, attempts=5, base_delay=1.0, max_delay=3.0, jitter=0.0)
    await retry.complete(REQUEST)
    assert provider.gaps() == pytest.approx([1.0, 2.0, 3.0, 3.0])


def test_retry_delay_stays_within_its_bounds() -> None:
    retry = Retry(ScriptedLLM(), base_delay=0.5, max_delay=4.0, jitter=0.5, seed=3)
    for n in range(1, 10):
        ceiling = min(4.0, 0.5 * 2 ** (n - 1))
        for _ in range(50):
            assert ceiling * 0.5 <= retry.delay(n, retryable()) <= ceiling


def test_retry_delays_are_reproducible_for_a_seed() -> None:
    def delays(seed: int) -> list[float]:
        retry = Retry(ScriptedLLM(), seed=seed)
        return [retry.delay(n % 4 + 1, None) for n in range(20)]

    assert delays(7) == delays(7)
    assert delays(7) != delays(8)


async def test_retry_waits_at_least_retry_after(anyio_backend: Any) -> None:
    provider = ScriptedLLM(RateLimited("slow down", retry_after=10.0))
    await Retry(provider, base_delay=0.5).complete(REQUEST)
    assert provider.gaps() == pytest.approx([10.0])


async def test_retry_honours_retry_after_on_later_retries(anyio_backend: Any) -> None:
    provider = ScriptedLLM(*(RateLimited("slow down", retry_after=6.0) for _ in range(3)))
    await Retry(provider, attempts=4, base_delay=0.1).complete(REQUEST)
    assert provider.gaps() == pytest.approx([6.0, 6.0, 6.0])


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
async def test_retry_waits_out_a_server_errors_retry_after(anyio_backend: Any, status: int) -> None:
    overloaded = ProviderError("overloaded", status=status, retryable=True, retry_after=7.0)
    provider = ScriptedLLM(overloaded)
    await Retry(provider, base_delay=0.5).complete(REQUEST)
    assert provider.gaps() == pytest.approx([7.0])


@pytest.mark.parametrize("hint", [61.0, 3600.0, 1e9])
async def test_retry_caps_an_absurd_retry_after_at_a_minute(
    anyio_backend: Any, hint: float
) -> None:
    provider = ScriptedLLM(
        RateLimited("slow down", retry_after=hint),
        ProviderError("down", status=503, retryable=True, retry_after=hint),
    )
    await Retry(provider, attempts=3).complete(REQUEST)
    assert provider.gaps() == pytest.approx([60.0, 60.0])


async def test_retry_after_below_the_backoff_does_not_shorten_it(anyio_backend: Any) -> None:
    provider = ScriptedLLM(RateLimited("slow down", retry_after=0.1))
    await Retry(provider, base_delay=2.0, jitter=0.0).complete(REQUEST)
    assert provider.gaps() == pytest.approx([2.0])


async def test_retry_treats_rate_limited_without_hint_like_other_errors(
    anyio_backend: Any,
) -> None:
    provider = ScriptedLLM(RateLimited("slow down"))
    await Retry(provider, base_delay=2.0, jitter=0.0).complete(REQUEST)
    assert provider.gaps() == pytest.approx([2.0])


@pytest.mark.parametrize(
    "error",
    [
        ProviderError("bad request", status=400),
        ProviderError("unauthorized", status=401),
        MalformedResponse("no step found", text="hmm"),
    ],
    ids=["status-400", "status-401", "malformed"],
)
async def test_retry_does_not_retry_non_retryable_errors(
    anyio_backend: Any, error: LLMError
) -> None:
    provider = ScriptedLLM(error)
    elapsed, raised = await elapsed_raising(Retry(provider, attempts=4), type(error))
    assert raised is error
    assert provider.calls == 1
    assert elapsed == 0.0


async def test_retry_stops_at_a_non_retryable_error_after_retrying(anyio_backend: Any) -> None:
    fatal = ProviderError("bad request", status=400)
    provider = ScriptedLLM(retryable(), retryable(), fatal)
    _, raised = await elapsed_raising(Retry(provider, attempts=6), ProviderError)
    assert raised is fatal
    assert provider.calls == 3


async def test_retry_does_not_retry_errors_that_are_not_llm_errors(anyio_backend: Any) -> None:
    provider = ScriptedLLM(KeyError("bug"))
    await elapsed_raising(Retry(provider, attempts=4), KeyError)
    assert provider.calls == 1


@pytest.mark.parametrize("attempts", [2, 3, 5])
async def test_retry_gives_up_after_attempts_and_reraises_the_last_error(
    anyio_backend: Any, attempts: int
) -> None:
    errors = [retryable(f"failure {i}") for i in range(10)]
    provider = ScriptedLLM(*errors)
    retry = Retry(provider, attempts=attempts)
    _, raised = await elapsed_raising(retry, ProviderError)
    assert raised is errors[attempts - 1]
    assert provider.calls == attempts


@pytest.mark.parametrize("attempts", [1, 2, 4])
async def test_retry_counts_the_retries_it_made(anyio_backend: Any, attempts: int) -> None:
    retry = Retry(ScriptedLLM(*(retryable() for _ in range(10))), attempts=attempts)
    await elapsed_raising(retry, ProviderError)
    assert retry.retries == attempts - 1


async def test_retry_counts_the_retries_of_a_call_that_succeeds(anyio_backend: Any) -> None:
    retry = Retry(ScriptedLLM(retryable(), retryable()), attempts=5)
    await retry.complete(REQUEST)
    assert retry.retries == 2


async def test_retry_with_one_attempt_does_not_retry(anyio_backend: Any) -> None:
    error = RateLimited("slow down", retry_after=5.0)
    provider = ScriptedLLM(error)
    elapsed, raised = await elapsed_raising(Retry(provider, attempts=1), RateLimited)
    assert raised is error
    assert provider.calls == 1
    assert elapsed == 0.0


async def test_retry_is_cancelled_during_its_backoff(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), retryable())
    start = anyio.current_time()
    with anyio.move_on_after(1.0) as scope:
        await Retry(provider, base_delay=10.0).complete(REQUEST)
    assert scope.cancelled_caught
    assert provider.calls == 1
    assert anyio.current_time() - start == pytest.approx(1.0)


def test_retry_rejects_fewer_than_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts"):
        Retry(ScriptedLLM(), attempts=0)


async def test_retry_gives_each_attempt_its_own_timeout(anyio_backend: Any) -> None:
    provider = SleepyLLM(100.0)
    retry = Retry(Timeout(provider, 2.0), attempts=3, base_delay=1.0, jitter=0.0)
    elapsed, _ = await elapsed_raising(retry, LLMTimeout)
    assert provider.calls == 3
    assert elapsed == pytest.approx(2.0 + 1.0 + 2.0 + 2.0 + 2.0)


# -- UsageMeter ------------------------------------------------------------------


async def test_usage_meter_counts_completed_calls_and_tokens(anyio_backend: Any) -> None:
    meter = UsageMeter(ScriptedLLM())
    for _ in range(3):
        await meter.complete(REQUEST)
    totals = meter.totals
    assert (totals.started, totals.completed, totals.failed, totals.cancelled) == (3, 3, 0, 0)
    assert (totals.prompt_tokens, totals.completion_tokens, totals.tokens) == (9, 15, 24)


async def test_usage_meter_counts_failures_by_error_type(anyio_backend: Any) -> None:
    meter = UsageMeter(ScriptedLLM(retryable(), LLMTimeout("slow"), retryable()))
    for _ in range(3):
        with pytest.raises(LLMError):
            await meter.complete(REQUEST)
    assert meter.totals.failed == 3
    assert meter.totals.completed == 0
    assert meter.totals.errors == {"ProviderError": 2, "LLMTimeout": 1}
    assert meter.totals.tokens == 0


async def test_usage_meter_counts_a_call_cancelled_mid_flight(anyio_backend: Any) -> None:
    meter = UsageMeter(SleepyLLM(10.0))
    with anyio.move_on_after(1.0):
        await meter.complete(REQUEST)
    totals = meter.totals
    assert (totals.started, totals.completed, totals.failed, totals.cancelled) == (1, 0, 0, 1)
    assert totals.errors == {}


async def test_usage_meter_counts_each_call_in_exactly_one_bucket(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), latency=1.0)
    meter = UsageMeter(provider)
    with pytest.raises(ProviderError):
        await meter.complete(REQUEST)
    await meter.complete(REQUEST)
    with anyio.move_on_after(0.5):
        await meter.complete(REQUEST)
    totals = meter.totals
    assert (totals.started, totals.completed, totals.failed, totals.cancelled) == (3, 1, 1, 1)
    assert totals.in_flight == 0


async def test_usage_meter_counts_a_retried_call_once(anyio_backend: Any) -> None:
    meter = UsageMeter(Retry(ScriptedLLM(retryable(), retryable())))
    await meter.complete(REQUEST)
    assert (meter.totals.started, meter.totals.completed, meter.totals.failed) == (1, 1, 0)


async def test_usage_meter_shows_calls_in_flight(anyio_backend: Any) -> None:
    meter = UsageMeter(SleepyLLM(1.0))
    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(meter.complete, REQUEST)
        await anyio.sleep(0.5)
        assert meter.totals.in_flight == 4
    assert meter.totals.in_flight == 0


async def test_usage_meter_counts_into_the_callers_episode_scope(anyio_backend: Any) -> None:
    meter = UsageMeter(ScriptedLLM(retryable()))
    with episode_scope("ep") as scope:
        with pytest.raises(ProviderError):
            await meter.complete(REQUEST)
        await meter.complete(REQUEST)
        await meter.complete(REQUEST)
    await meter.complete(REQUEST)
    calls = scope.calls
    assert (calls.started, calls.completed, calls.failed) == (3, 2, 1)
    assert calls.tokens == 2 * USAGE.total_tokens
    assert meter.totals.started == 4


async def test_usage_meter_counts_child_task_calls_into_the_episode_scope(
    anyio_backend: Any,
) -> None:
    meter = UsageMeter(SleepyLLM(1.0))
    with episode_scope("ep") as scope:
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(meter.complete, REQUEST)
    assert scope.calls.started == 5
    assert scope.calls.completed == 5
    assert scope.calls.prompt_tokens == 5 * USAGE.prompt_tokens


async def test_usage_meter_keeps_concurrent_episodes_apart(anyio_backend: Any) -> None:
    meter = UsageMeter(SleepyLLM(1.0))
    scopes: dict[str, EpisodeScope] = {}

    async def episode(name: str, calls: int) -> None:
        with episode_scope(name) as scope:
            scopes[name] = scope
            async with anyio.create_task_group() as tg:
                for _ in range(calls):
                    tg.start_soon(meter.complete, REQUEST)

    async with anyio.create_task_group() as tg:
        tg.start_soon(episode, "a", 2)
        tg.start_soon(episode, "b", 7)
    assert scopes["a"].calls.completed == 2
    assert scopes["b"].calls.completed == 7
    assert meter.totals.completed == 9


async def test_usage_meter_counts_cancelled_child_calls_in_the_scope(anyio_backend: Any) -> None:
    meter = UsageMeter(SleepyLLM(10.0))
    with episode_scope("ep") as scope:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(meter.complete, REQUEST)
            await anyio.sleep(1.0)
            tg.cancel_scope.cancel()
    assert (scope.calls.started, scope.calls.cancelled, scope.calls.in_flight) == (3, 3, 0)


# -- Traced ----------------------------------------------------------------------


async def test_traced_emits_started_and_ended_pairs(anyio_backend: Any) -> None:
    sink = ListSink()
    traced = Traced(SleepyLLM(1.0), EventRecorder(sink))
    await call_concurrently(traced, 4)
    started = sink.of_type(LLMCallStarted)
    ended = sink.of_type(LLMCallEnded)
    assert sorted(e.call for e in started) == [0, 1, 2, 3]
    assert sorted(e.call for e in ended) == [0, 1, 2, 3]
    start_seq = {e.call: e.seq for e in started}
    assert all(e.seq > start_seq[e.call] for e in ended)
    assert [e.seq for e in sink.events] == list(range(8))


async def test_traced_ok_event_carries_tokens_intent_and_episode(anyio_backend: Any) -> None:
    sink = ListSink()
    traced = Traced(ScriptedLLM(), EventRecorder(sink))
    with episode_scope("ep-7"):
        await traced.complete(PROPOSE)
    assert sink.events == [
        LLMCallStarted(call=0, episode="ep-7", intent="propose", seq=0, ts=sink.events[0].ts),
        LLMCallEnded(
            call=0,
            episode="ep-7",
            intent="propose",
            outcome="ok",
            prompt_tokens=3,
            completion_tokens=5,
            latency=sink.of_type(LLMCallEnded)[0].latency,
            seq=1,
            ts=sink.events[1].ts,
        ),
    ]


async def test_traced_labels_calls_without_intent_as_chat(anyio_backend: Any) -> None:
    sink = ListSink()
    await Traced(ScriptedLLM(), EventRecorder(sink)).complete(REQUEST)
    assert [e.intent for e in sink.of_type(LLMCallStarted)] == ["chat"]
    assert [e.episode for e in sink.of_type(LLMCallStarted)] == ["-"]


async def test_traced_reports_an_error_with_its_text(anyio_backend: Any) -> None:
    sink = ListSink()
    traced = Traced(ScriptedLLM(ProviderError("boom", status=500)), EventRecorder(sink))
    with pytest.raises(ProviderError):
        await traced.complete(REQUEST)
    (ended,) = sink.of_type(LLMCallEnded)
    assert ended.outcome == "error"
    assert ended.error == "ProviderError: boom"
    assert ended.prompt_tokens == ended.completion_tokens == 0


async def test_traced_reports_a_cancelled_call(anyio_backend: Any) -> None:
    sink = ListSink()
    traced = Traced(SleepyLLM(10.0), EventRecorder(sink))
    with anyio.move_on_after(1.0):
        await traced.complete(REQUEST)
    assert [type(e) for e in sink.events] == [LLMCallStarted, LLMCallEnded]
    (ended,) = sink.of_type(LLMCallEnded)
    assert ended.outcome == "cancelled"
    assert ended.error is None


async def test_traced_builds_no_events_for_a_recorder_that_drops_them(anyio_backend: Any) -> None:
    class DroppingSink(NullSink):
        """A NullSink (so the recorder is disabled) that would keep what it got."""

        def __init__(self) -> None:
            self.events: list[Event] = []

        def emit(self, event: Event) -> None:
            self.events.append(event)

    sink = DroppingSink()
    recorder = EventRecorder(sink)
    response = await Traced(ScriptedLLM(), recorder).complete(PROPOSE)
    assert response.text == "answer 1"
    assert not recorder.enabled
    assert sink.events == []


async def test_traced_and_meter_agree_on_a_cancelled_call(anyio_backend: Any) -> None:
    sink = ListSink()
    meter = UsageMeter(SleepyLLM(10.0))
    traced = Traced(meter, EventRecorder(sink))
    with anyio.move_on_after(1.0):
        await traced.complete(REQUEST)
    assert meter.totals.cancelled == 1
    assert [e.outcome for e in sink.of_type(LLMCallEnded)] == ["cancelled"]


# -- MiddlewareStack -------------------------------------------------------------


async def test_stack_counts_one_logical_call_per_request(anyio_backend: Any) -> None:
    provider = ScriptedLLM(retryable(), RateLimited("slow", retry_after=2.0))
    stack = MiddlewareStack(provider, attempts=4)
    response = await stack.complete(REQUEST)
    assert response.text == "answer 3"
    assert provider.calls == 3
    assert (stack.totals.started, stack.totals.completed, stack.totals.failed) == (1, 1, 0)
    assert stack.totals is stack.meter.totals


async def test_stack_limits_concurrency(anyio_backend: Any) -> None:
    provider = SleepyLLM(1.0)
    stack = MiddlewareStack(provider, max_concurrency=3)
    await call_concurrently(stack, 20)
    assert stack.limit.peak == 3
    assert provider.peak == 3
    assert stack.totals.completed == 20


async def test_stack_times_out_each_attempt(anyio_backend: Any) -> None:
    provider = SleepyLLM(100.0)
    stack = MiddlewareStack(provider, timeout=2.0, attempts=2)
    await elapsed_raising(stack, LLMTimeout)
    assert provider.calls == 2
    assert stack.totals.failed == 1
    assert stack.totals.errors == {"LLMTimeout": 1}


async def test_stack_without_timeout_waits_for_slow_providers(anyio_backend: Any) -> None:
    stack = MiddlewareStack(SleepyLLM(1000.0), timeout=None)
    assert (await stack.complete(REQUEST)).text == "slept"


async def test_stack_traces_calls_when_given_a_recorder(anyio_backend: Any) -> None:
    sink = ListSink()
    stack = MiddlewareStack(ScriptedLLM(retryable()), recorder=EventRecorder(sink))
    await stack.complete(REQUEST)
    assert [type(e) for e in sink.events] == [LLMCallStarted, LLMCallEnded]
    assert sink.of_type(LLMCallEnded)[0].outcome == "ok"


async def test_stack_counts_into_the_episode_scope(anyio_backend: Any) -> None:
    stack = MiddlewareStack(SleepyLLM(1.0), max_concurrency=2)
    with episode_scope("ep") as scope:
        await call_concurrently(stack, 6)
    assert scope.calls.completed == 6
    assert scope.calls.tokens == 6 * USAGE.total_tokens


class Streamed:
    """Answers like a streamed call whose first token came after ``ttft`` s."""

    def __init__(self, ttft: float) -> None:
        self.ttft = ttft

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse(text="ok", model="m", time_to_first_token=self.ttft)


@pytest.mark.anyio
async def test_time_to_first_token_is_averaged_and_traced(anyio_backend: Any) -> None:
    sink = ListSink()
    stack = MiddlewareStack(Streamed(0.25), recorder=EventRecorder(sink))
    for _ in range(3):
        await stack.complete(ChatRequest(messages=(Message("user", "hi"),)))
    assert stack.totals.streamed == 3
    assert stack.totals.mean_ttft == pytest.approx(0.25)
    ended = [e for e in sink.events if isinstance(e, LLMCallEnded)]
    assert [e.ttft for e in ended] == [0.25, 0.25, 0.25]


@pytest.mark.anyio
async def test_unstreamed_calls_have_no_time_to_first_token(anyio_backend: Any) -> None:
    stack = MiddlewareStack(EchoLLM())
    await stack.complete(ChatRequest(messages=(Message("user", "hi"),)))
    assert stack.totals.streamed == 0
    assert stack.totals.mean_ttft is None
