"""A provider that can serve no call (wrong key, unknown model, server down)
ends the run with one clear error instead of failing every call quietly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from fake_providers import FAKE_KEY, OK, FakeOpenAI, Fault, FaultPlan
from http_server import serve
from support import EchoLLM, closed_port

from rafa_async import ConnectFailed, ProviderError, ProviderUnavailable, RateLimited
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.app import BenchmarkConfig, run_benchmark
from rafa_async.llm import ChatRequest, H11Transport, Message, MiddlewareStack, Timeouts
from rafa_async.scenarios.game24 import Game24Record

REQUEST = ChatRequest(messages=(Message("user", "hello"),))


@pytest.mark.parametrize("status", [401, 403, 404])
def test_key_and_model_errors_are_fatal_other_statuses_are_not(status: int) -> None:
    assert ProviderError("x", status=status).fatal
    assert not ProviderError("x", status=400).fatal
    assert not ProviderError("x", status=503, retryable=True).fatal
    assert ConnectFailed("down").fatal
    assert not RateLimited("slow down").fatal


@pytest.mark.anyio
async def test_a_fatal_error_leaves_the_stack_as_provider_unavailable(anyio_backend: Any) -> None:
    provider = EchoLLM(ProviderError("openai rejected the API key (HTTP 401)", status=401))
    stack = MiddlewareStack(provider)
    with pytest.raises(ProviderUnavailable, match="rejected the API key") as caught:
        await stack.complete(REQUEST)
    assert isinstance(caught.value.__cause__, ProviderError)
    assert provider.calls == 1  # not retried
    assert stack.totals.failed == 1


@pytest.mark.anyio
async def test_an_unreachable_server_is_retried_then_ends_the_run(anyio_backend: Any) -> None:
    provider = EchoLLM(*(ConnectFailed("could not connect") for _ in range(4)))
    stack = MiddlewareStack(provider, attempts=4)
    with pytest.raises(ProviderUnavailable, match="could not connect"):
        await stack.complete(REQUEST)
    assert provider.calls == 4


@pytest.mark.anyio
async def test_a_non_fatal_error_stays_an_llm_error_for_the_planner(anyio_backend: Any) -> None:
    stack = MiddlewareStack(EchoLLM(ProviderError("bad request", status=400)))
    with pytest.raises(ProviderError, match="bad request"):
        await stack.complete(REQUEST)


@pytest.mark.anyio
async def test_a_run_against_a_closed_port_fails_fast_naming_the_provider(
    anyio_backend: Any,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    transport = H11Transport(timeouts=Timeouts(connect=5.0))
    provider = OpenAIChat(model="gpt-4o-mini", base_url=url, api_key_env=None, transport=transport)
    config = BenchmarkConfig(provider="openai:gpt-4o-mini", tasks="901-905", concurrency=5)
    started = anyio.current_time()
    with pytest.raises(ProviderUnavailable, match=rf"openai at {url}: could not connect"):
        await run_benchmark(config, llm=provider)
    # Three backoffs (0.5 + 1 + 2 s at most), not a whole run of failing calls.
    assert anyio.current_time() - started <= 3.5
    await transport.aclose()


# -- a provider that goes down mid-run ---------------------------------------------------------


@asynccontextmanager
async def fake_openai(*faults: Fault, then: Fault) -> AsyncIterator[OpenAIChat]:
    """The OpenAI adapter on a fake server answering ``faults``, then ``then``;
    each attempt bounded to 2 seconds."""
    fake = FakeOpenAI(FaultPlan(faults, then=then))
    async with (
        serve(fake) as server,
        OpenAIChat(
            model="gpt-test",
            base_url=fake.base_url(server.url),
            timeouts=Timeouts(total=2.0),
            transport_kind="h11",
        ) as adapter,
    ):
        yield adapter


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("down", "last_error"),
    [(Fault.status(500), "ProviderError: openai at "), (Fault.stall(), "LLMTimeout: openai at ")],
    ids=["error-rate-1", "hangs"],
)
async def test_a_provider_going_down_stops_the_run_keeping_finished_records(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch, down: Fault, last_error: str
) -> None:
    # One call a task (direct): two answered, then every call fails (after its
    # retries), each task's own: 903 ends with no call answered, 904 too, and
    # 905's failure is the third in a row.
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    config = BenchmarkConfig(
        agent="direct", provider="openai:gpt-test", tasks="901-910", concurrency=1
    )
    seen: list[Game24Record] = []
    async with fake_openai(OK, OK, then=down) as adapter:
        stack = MiddlewareStack(adapter, max_consecutive_failures=3)
        with pytest.raises(ProviderUnavailable) as caught:
            await run_benchmark(config, llm=stack, on_result=seen.append)
    message = str(caught.value)
    assert message.startswith("openai:gpt-test@http://127.0.0.1:")
    assert "looks unavailable: 3 LLM calls in a row failed after their retries" in message
    assert f"the last error: {last_error}" in message
    assert [(r.rank, r.status) for r in seen] == [
        (901, "unsolved"),
        (902, "unsolved"),
        (903, "error"),
        (904, "error"),
        (905, "error"),
    ]
    assert [r.llm_calls - r.failed_calls for r in seen] == [1, 1, 0, 0, 0]
    assert seen[0].error is None and seen[1].error is None
    for record in seen[2:4]:
        assert record.error is not None
        assert record.error.startswith(
            f"no LLM call was answered; the last failed with {last_error}"
        )
    assert seen[-1].error == message
