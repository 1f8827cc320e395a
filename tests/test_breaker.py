"""The circuit breaker: a provider that fails call after call stops the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from support import EchoLLM

from rafa_async import ConfigError, LLMTimeout, ProviderError, ProviderUnavailable
from rafa_async.llm import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ChatRequest,
    ChatResponse,
    CircuitBreaker,
    Message,
    MiddlewareStack,
)

pytestmark = pytest.mark.anyio

PROVIDER = "openai:gpt-test@http://127.0.0.1:8000/v1"


def ask(text: str = "hello") -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),))


def down(n: int = 1) -> list[ProviderError]:
    return [ProviderError(f"HTTP 500 #{i}", status=500, retryable=True) for i in range(n)]


class Scripted:
    """Answers each request by its text: ``fail`` raises a 500, ``ok``
    answers, ``bug`` raises a ConfigError; each after ``latency[text]`` seconds."""

    def __init__(self, latency: dict[str, float] | None = None) -> None:
        self.latency = latency or {}
        self.calls: list[str] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        text = request.messages[-1].content
        self.calls.append(text)
        await anyio.sleep(self.latency.get(text, 0.0))
        if text.startswith("fail"):
            raise ProviderError(f"{text}: HTTP 500", status=500, retryable=True)
        if text.startswith("bug"):
            raise ConfigError("a bug, not the provider")
        return ChatResponse(text=f"answer to {text}", model="m")


async def outcomes(llm: Any, texts: list[str]) -> list[str]:
    """Each call's outcome in order: ``ok`` or the error's type name."""
    seen = []
    for text in texts:
        try:
            await llm.complete(ask(text))
        except Exception as error:
            seen.append(type(error).__name__)
        else:
            seen.append("ok")
    return seen


async def test_n_failures_in_a_row_trip_it_and_every_later_call_is_refused(
    anyio_backend: Any,
) -> None:
    provider = Scripted()
    breaker = CircuitBreaker(provider, 3, provider=PROVIDER)
    seen = await outcomes(breaker, ["fail 1", "fail 2", "fail 3", "ok", "fail 4"])
    assert seen == ["ProviderError", "ProviderError"] + ["ProviderUnavailable"] * 3
    assert provider.calls == ["fail 1", "fail 2", "fail 3"]  # refused without reaching it
    with pytest.raises(ProviderUnavailable) as caught:
        await breaker.complete(ask("ok"))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{PROVIDER} looks unavailable: 3 LLM calls in a row failed")
    assert "(max_consecutive_failures is 3; 0 never stops)" in message
    assert message.endswith("the last error: ProviderError: fail 3: HTTP 500")
    assert isinstance(caught.value.__cause__, ProviderError)


async def test_an_answer_between_failures_resets_the_count(anyio_backend: Any) -> None:
    breaker = CircuitBreaker(Scripted(), 3, provider=PROVIDER)
    texts = ["fail", "fail", "ok"] * 5 + ["fail", "fail"]
    seen = await outcomes(breaker, texts)
    assert "ProviderUnavailable" not in seen
    assert breaker.failures == 2
    assert await outcomes(breaker, ["fail"]) == ["ProviderUnavailable"]


async def test_cancelled_calls_neither_count_nor_reset(anyio_backend: Any) -> None:
    provider = Scripted({"slow ok": 10.0, "slow fail": 10.0})
    breaker = CircuitBreaker(provider, 3, provider=PROVIDER)
    assert await outcomes(breaker, ["fail", "fail"]) == ["ProviderError"] * 2
    for text in ("slow ok", "slow fail", "slow ok"):
        with anyio.move_on_after(1.0):
            await breaker.complete(ask(text))
    assert breaker.failures == 2  # not reset by the cancelled answer, nor raised
    assert await outcomes(breaker, ["fail"]) == ["ProviderUnavailable"]


async def test_errors_that_are_not_the_providers_neither_count_nor_reset(
    anyio_backend: Any,
) -> None:
    breaker = CircuitBreaker(Scripted(), 2, provider=PROVIDER)
    seen = await outcomes(breaker, ["fail", "bug", "bug", "bug", "fail"])
    errors = ["ConfigError"] * 3
    assert seen == ["ProviderError", *errors, "ProviderUnavailable"]


async def test_zero_turns_it_off(anyio_backend: Any) -> None:
    provider = Scripted()
    breaker = CircuitBreaker(provider, 0, provider=PROVIDER)
    assert await outcomes(breaker, ["fail"] * 50) == ["ProviderError"] * 50
    assert len(provider.calls) == 50
    assert MiddlewareStack(EchoLLM(), max_consecutive_failures=0).breaker is None


def test_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        CircuitBreaker(EchoLLM(), -1, provider=PROVIDER)


async def test_in_a_row_means_by_completion_order_across_concurrent_calls(
    anyio_backend: Any,
) -> None:
    # Started first, answered last: the three failures ending before it trip
    # the breaker; its answer, arriving after the trip, is kept.
    provider = Scripted({"ok": 10.0, "fail 1": 1.0, "fail 2": 2.0, "fail 3": 3.0})
    breaker = CircuitBreaker(provider, 3, provider=PROVIDER)
    seen: dict[str, str] = {}

    async def call(text: str) -> None:
        seen[text] = (await outcomes(breaker, [text]))[0]

    async with anyio.create_task_group() as tg:
        for text in ("ok", "fail 1", "fail 2", "fail 3"):
            tg.start_soon(call, text)
    assert seen == {
        "fail 1": "ProviderError",
        "fail 2": "ProviderError",
        "fail 3": "ProviderUnavailable",
        "ok": "ok",
    }


async def test_an_answer_completing_between_failures_resets_whatever_its_start(
    anyio_backend: Any,
) -> None:
    provider = Scripted({"fail 1": 1.0, "fail 2": 2.0, "ok": 2.5, "fail 3": 3.0, "fail 4": 4.0})
    breaker = CircuitBreaker(provider, 3, provider=PROVIDER)
    seen: dict[str, str] = {}

    async def call(text: str) -> None:
        seen[text] = (await outcomes(breaker, [text]))[0]

    async with anyio.create_task_group() as tg:
        for text in ("fail 4", "fail 3", "fail 2", "fail 1", "ok"):
            tg.start_soon(call, text)
    assert "ProviderUnavailable" not in seen.values()
    assert breaker.failures == 2


async def test_calls_in_flight_that_fail_after_the_trip_raise_provider_unavailable(
    anyio_backend: Any,
) -> None:
    provider = Scripted({"fail late": 5.0})
    breaker = CircuitBreaker(provider, 2, provider=PROVIDER)
    seen: list[str] = []

    async def late() -> None:
        seen.extend(await outcomes(breaker, ["fail late"]))

    async with anyio.create_task_group() as tg:
        tg.start_soon(late)
        seen.extend(await outcomes(breaker, ["fail 1", "fail 2"]))
    assert seen == ["ProviderError", "ProviderUnavailable", "ProviderUnavailable"]


# -- in the stack --------------------------------------------------------------------------


async def test_the_stack_counts_calls_after_their_retries(anyio_backend: Any) -> None:
    provider = EchoLLM(*down(4))
    stack = MiddlewareStack(provider, attempts=2, max_consecutive_failures=2)
    with pytest.raises(ProviderError):
        await stack.complete(ask())
    assert provider.calls == 2
    with pytest.raises(ProviderUnavailable, match="2 LLM calls in a row failed after their"):
        await stack.complete(ask())
    assert provider.calls == 4
    with pytest.raises(ProviderUnavailable):
        await stack.complete(ask())
    assert provider.calls == 4
    assert (stack.totals.failed, stack.totals.errors["ProviderUnavailable"]) == (3, 2)


async def test_the_stack_trips_on_timeouts_too(anyio_backend: Any) -> None:
    stack = MiddlewareStack(EchoLLM(latency=100.0), timeout=1.0, attempts=2)
    for _ in range(DEFAULT_MAX_CONSECUTIVE_FAILURES - 1):
        with pytest.raises(LLMTimeout):
            await stack.complete(ask())
    with pytest.raises(ProviderUnavailable, match="the last error: LLMTimeout: LLM call"):
        await stack.complete(ask())


def test_the_default_is_on_with_ten() -> None:
    stack = MiddlewareStack(EchoLLM())
    assert stack.breaker is not None
    assert stack.breaker.max_failures == DEFAULT_MAX_CONSECUTIVE_FAILURES == 10


async def test_a_replay_stops_where_its_recording_did(anyio_backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    texts = ["ok", "fail a", "fail b", "fail c"]
    options: dict[str, Any] = {"attempts": 1, "max_consecutive_failures": 2}
    async with MiddlewareStack(Scripted(), record=path, **options) as recording:
        recorded = await outcomes(recording, texts)
    async with MiddlewareStack(Scripted(), replay=path, **options) as replay:
        replayed = await outcomes(replay, texts)
    assert recorded == ["ok", "ProviderError", "ProviderUnavailable", "ProviderUnavailable"]
    assert replayed == recorded
