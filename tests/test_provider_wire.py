"""The HTTP adapters end to end: adapter, real transport, a fake provider on
loopback (tests/fake_providers.py) and the middleware stack (Retry, Timeout).

Every test runs for both wire protocols (OpenAI Chat Completions, Anthropic
Messages) and each transport the backend has: H11Transport on trio and
asyncio, AiohttpTransport on asyncio.  The server runs in the test's loop, so
delays, Retry-After waits and timeouts are exact on the virtual clock.
"""

from __future__ import annotations

import email.utils
import itertools
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

import anyio
import msgspec
import pytest
from fake_providers import (
    ANSWER,
    FAKE_KEY,
    OK,
    FakeAnthropic,
    FakeOpenAI,
    FakeProvider,
    Fault,
    FaultPlan,
    aiohttp_app,
    count_tokens,
    tokens_of,
)
from http_server import LocalServer, serve

from rafa_async import (
    ConnectionLost,
    LLMTimeout,
    MalformedResponse,
    ProviderError,
    ProviderUnavailable,
)
from rafa_async.adapters import _http_errors
from rafa_async.adapters._http_chat import HttpChatProvider, HttpChatStream
from rafa_async.adapters.anthropic import AnthropicChat
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.llm import (
    ChatRequest,
    HttpRequest,
    HttpResponse,
    HttpStream,
    HttpTransport,
    Message,
    MiddlewareStack,
    Timeouts,
    Usage,
    default_transport,
)

pytestmark = pytest.mark.anyio

REQUEST = ChatRequest(
    messages=(Message("system", "Answer briefly."), Message("user", "What is 4 + 9?"))
)
TOKENS = tokens_of(ANSWER)
# What the fakes count for REQUEST: not what the adapters would estimate.
USAGE = Usage(count_tokens([{"content": m.content} for m in REQUEST.messages]), len(TOKENS))
FAKES: dict[str, type[FakeProvider]] = {"openai": FakeOpenAI, "anthropic": FakeAnthropic}
ADAPTERS: dict[str, tuple[type[HttpChatProvider], str]] = {
    "openai": (OpenAIChat, "gpt-test"),
    "anthropic": (AnthropicChat, "claude-test"),
}


@pytest.fixture(params=["openai", "anthropic"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["h11", "aiohttp"])
def kind(request: pytest.FixtureRequest, anyio_backend: tuple[str, Any]) -> str:
    if request.param == "aiohttp" and anyio_backend[0] != "asyncio":
        pytest.skip("aiohttp runs only on asyncio (trio gets H11Transport)")
    return str(request.param)


@pytest.fixture(params=["complete", "stream"])
def streamed(request: pytest.FixtureRequest) -> bool:
    """Whether ``complete`` streams (``stream_completions``): the same
    faults reach the adapter through its other code path."""
    return bool(request.param == "stream")


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for fake in FAKES.values():
        monkeypatch.setenv(fake.key_env, FAKE_KEY)


class Wire(NamedTuple):
    fake: FakeProvider
    server: LocalServer
    adapter: HttpChatProvider
    transport: HttpTransport

    def stack(self, **options: Any) -> MiddlewareStack:
        return MiddlewareStack(self.adapter, **options)

    def arrivals(self) -> list[float]:
        """When each request reached the server, on the test's clock."""
        return [call.at for call in self.fake.calls]

    def gaps(self) -> list[float]:
        times = self.arrivals()
        return [later - earlier for earlier, later in itertools.pairwise(times)]


@asynccontextmanager
async def wire(
    provider: str,
    kind: str,
    *faults: Fault,
    then: Fault = OK,
    transport: Mapping[str, Any] | None = None,
    wrap: Callable[[HttpTransport], HttpTransport] | None = None,
    **adapter_options: Any,
) -> AsyncIterator[Wire]:
    """A fake ``provider`` answering by the plan (``faults``, then ``then``),
    and an adapter talking to it through a ``kind`` transport made with the
    options ``transport`` (and wrapped by ``wrap``)."""
    fake = FAKES[provider](FaultPlan(faults, then=then))
    adapter_type, model = ADAPTERS[provider]
    adapter_options.setdefault("model", model)
    async with serve(fake) as server:
        http = default_transport(kind=kind, **(transport or {}))  # type: ignore[arg-type]
        if wrap is not None:
            http = wrap(http)
        try:
            adapter = adapter_type(
                base_url=fake.base_url(server.url), transport=http, **adapter_options
            )
            yield Wire(fake, server, adapter, http)
        finally:
            await http.aclose()


# -- the protocols ---------------------------------------------------------------------


async def test_a_completion_and_a_stream_speak_each_providers_wire(
    provider: str, kind: str
) -> None:
    async with wire(provider, kind) as w:
        whole = await w.adapter.complete(REQUEST)
        async with w.adapter.stream(REQUEST) as stream:
            deltas = [delta async for delta in stream]
        short = await w.adapter.complete(ChatRequest(messages=REQUEST.messages, max_tokens=3))
    model = w.fake.models[ADAPTERS[provider][1]]
    assert whole == msgspec.structs.replace(stream.response, time_to_first_token=None)
    assert (whole.text, whole.model, whole.usage) == (ANSWER, model, USAGE)
    assert whole.finish_reason == "stop"
    assert deltas == TOKENS
    assert (short.text, short.finish_reason) == ("".join(TOKENS[:3]), "length")
    assert [call.status for call in w.fake.calls] == [200, 200, 200]
    assert [call.stream for call in w.fake.calls] == [False, True, False]
    if provider == "openai":
        assert w.fake.calls[1].body["stream_options"] == {"include_usage": True}
    assert w.server.connections_opened == 1  # every exchange ended cleanly: kept alive


# -- rate limits -------------------------------------------------------------------------


async def test_429_with_retry_after_is_retried_exactly_that_much_later(
    provider: str, kind: str, streamed: bool
) -> None:
    limited = Fault.status(429, headers={"retry-after": "7"})
    async with wire(provider, kind, limited, stream_completions=streamed) as w:
        response = await w.stack(attempts=3).complete(REQUEST)
    assert response.text == ANSWER
    assert [call.status for call in w.fake.calls] == [429, 200]
    assert w.gaps() == [pytest.approx(7.0)]


async def test_429_with_the_providers_own_reset_headers_waits_for_the_reset(
    provider: str, kind: str
) -> None:
    # OpenAI says "2s"; Anthropic a wall-clock time rounded up to the second,
    # so its wait is 2 s plus under a second (no Retry-After in either).
    async with wire(provider, kind, Fault.rate_limited(reset_in=2.0)) as w:
        await w.stack(attempts=2).complete(REQUEST)
    (gap,) = w.gaps()
    if provider == "openai":
        assert gap == pytest.approx(2.0)
    else:
        assert 1.5 <= gap <= 3.0


async def test_429_with_retry_after_ms_is_read_in_milliseconds(provider: str, kind: str) -> None:
    limited = Fault.status(429, headers={"retry-after-ms": "1500"})
    async with wire(provider, kind, limited) as w:
        await w.stack(attempts=2).complete(REQUEST)
    assert w.gaps() == [pytest.approx(1.5)]


# -- wait hints on every retryable status ---------------------------------------------------

WALL_NOW = 1_750_000_000.0
"""The wall clock the tests fix, so an HTTP-date hint is exact."""


def wait_hint(form: str, seconds: float) -> dict[str, str]:
    """A server's wait hint of ``seconds``, in one of the forms servers send."""
    if form == "seconds":
        return {"retry-after": f"{seconds:g}"}
    if form == "ms":
        return {"retry-after-ms": f"{seconds * 1000:g}"}
    moment = datetime.fromtimestamp(WALL_NOW + seconds, UTC)
    return {"retry-after": email.utils.format_datetime(moment, usegmt=True)}


@pytest.mark.parametrize("form", ["seconds", "http-date", "ms"])
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 529])
async def test_a_wait_hint_on_any_retryable_status_times_the_retry_exactly(
    provider: str, kind: str, status: int, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_http_errors, "wall_clock", lambda: WALL_NOW)
    failed = Fault.status(status, headers=wait_hint(form, 7.0))
    async with wire(provider, kind, failed) as w:
        response = await w.stack(attempts=2).complete(REQUEST)
    assert response.text == ANSWER
    assert [call.status for call in w.fake.calls] == [status, 200]
    assert w.gaps() == [pytest.approx(7.0)]  # without the hint: 0.25-0.5 s


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_an_absurd_wait_hint_is_capped_at_a_minute(
    provider: str, kind: str, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_http_errors, "wall_clock", lambda: WALL_NOW)
    day = Fault.status(503, headers=wait_hint(form, 86_400.0))
    async with wire(provider, kind, day, day) as w:
        await w.stack(attempts=3).complete(REQUEST)
    assert w.gaps() == [pytest.approx(60.0), pytest.approx(60.0)]


# -- server errors -----------------------------------------------------------------------


async def test_500_then_503_then_success(provider: str, kind: str, streamed: bool) -> None:
    failures = (Fault.status(500), Fault.status(503))
    async with wire(provider, kind, *failures, stream_completions=streamed) as w:
        stack = w.stack(attempts=3)
        response = await stack.complete(REQUEST)
    assert response.text == ANSWER
    assert [call.status for call in w.fake.calls] == [500, 503, 200]
    assert stack.retry.retries == 2


async def test_anthropic_overloaded_529_is_retried(kind: str) -> None:
    async with wire("anthropic", kind, Fault.status(529), Fault.status(529)) as w:
        assert (await w.stack(attempts=3).complete(REQUEST)).text == ANSWER
    async with wire("anthropic", kind, then=Fault.status(529)) as w:
        with pytest.raises(ProviderError, match=r"HTTP 529: Overloaded\); the call may") as caught:
            await w.stack(attempts=3).complete(REQUEST)
    assert caught.value.status == 529
    assert len(w.fake.calls) == 3


async def test_an_error_event_mid_stream_is_typed_and_retried(provider: str, kind: str) -> None:
    # Anthropic reports overload mid-stream (529's overloaded_error); OpenAI a server_error.
    code = 529 if provider == "anthropic" else 500
    broken = Fault.error_event(code, after=5)
    async with wire(provider, kind, broken, broken, stream_completions=True) as w:
        with pytest.raises(
            ProviderError, match=f"^{provider} at .* failed \\(HTTP {code}: "
        ) as caught:
            await w.stack(attempts=1).complete(REQUEST)
        assert (caught.value.status, caught.value.retryable) == (code, True)
        assert (await w.stack(attempts=2).complete(REQUEST)).text == ANSWER
    assert [call.number for call in w.fake.calls] == [1, 2, 3]


async def test_400_is_raised_at_once_with_the_servers_message(
    provider: str, kind: str, streamed: bool
) -> None:
    refused = Fault.status(400, message="max_tokens: 5000000 > 8192")
    async with wire(provider, kind, refused, stream_completions=streamed) as w:
        with pytest.raises(ProviderError, match=r"HTTP 400: max_tokens: 5000000 > 8192") as caught:
            await w.stack(attempts=4).complete(REQUEST)
    assert type(caught.value) is ProviderError
    assert not caught.value.retryable
    assert len(w.server.requests) == 1


@pytest.mark.parametrize("key", ["sk-WRONG-key-qwerty-zzzz", None])
async def test_a_rejected_key_ends_the_run_naming_the_variable_not_the_key(
    provider: str, kind: str, streamed: bool, key: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_env = FAKES[provider].key_env
    if key is None:
        monkeypatch.delenv(key_env)
    else:
        monkeypatch.setenv(key_env, key)
    async with wire(provider, kind, stream_completions=streamed) as w:
        with pytest.raises(ProviderUnavailable) as caught:
            await w.stack(attempts=4).complete(REQUEST)
    message = str(caught.value)
    assert f"{provider} at {w.adapter.base_url}" in message
    assert f"set {key_env}" in message
    assert ("rejected the API key" if key else "needs an API key") in message
    assert "qwerty" not in message and "zzzz" not in message  # OpenAI's 401 quotes the key
    assert [call.status for call in w.fake.calls] == [401]


async def test_an_unknown_model_ends_the_run_naming_model_and_base_url(
    provider: str, kind: str
) -> None:
    async with wire(provider, kind, model="no-such-model") as w:
        with pytest.raises(ProviderUnavailable, match=r"HTTP 404: .*no-such-model") as caught:
            await w.stack().complete(REQUEST)
    assert f"'no-such-model' and base_url {w.adapter.base_url!r}" in str(caught.value)
    assert len(w.server.requests) == 1


# -- slow, cut and garbled answers ---------------------------------------------------------


@pytest.mark.parametrize("after", [None, 4], ids=["before-headers", "mid-stream"])
async def test_a_stalled_server_times_out_exactly_on_time_then_is_retried(
    provider: str, kind: str, after: int | None
) -> None:
    stall = Fault.stall(after=after)
    async with wire(provider, kind, then=stall, stream_completions=after is not None) as w:
        start = anyio.current_time()
        with pytest.raises(LLMTimeout, match="longer than 5s"):
            await w.stack(attempts=1, timeout=5.0).complete(REQUEST)
        assert anyio.current_time() - start == pytest.approx(5.0)
        w.fake.plan = FaultPlan([stall, stall])  # request 2 stalls, 3 succeeds
        response = await w.stack(attempts=3, timeout=5.0).complete(REQUEST)
        await anyio.sleep(0.01)
        assert w.server.open_connections <= 1  # the stalled ones were closed
    assert response.text == ANSWER
    assert [call.number for call in w.fake.calls] == [1, 2, 3]
    # 5 s, then the first backoff: 0.5 s less up to half of it as jitter.
    assert 5.25 <= w.gaps()[-1] <= 5.5


async def test_a_connection_dropped_mid_answer_is_connection_lost_then_retried(
    provider: str, kind: str, streamed: bool
) -> None:
    drop = Fault.drop(after=5)
    async with wire(provider, kind, drop, drop, stream_completions=streamed) as w:
        with pytest.raises(ConnectionLost, match=f"^{provider} at {w.adapter.base_url}: "):
            await w.stack(attempts=1).complete(REQUEST)
        response = await w.stack(attempts=2).complete(REQUEST)
    assert response.text == ANSWER
    assert [call.number for call in w.fake.calls] == [1, 2, 3]


async def test_a_body_that_breaks_http_framing_fails_at_once_naming_the_provider(
    provider: str, kind: str, streamed: bool
) -> None:
    broken = Fault.bad_framing(after=4)
    async with wire(provider, kind, then=broken, stream_completions=streamed) as w:
        start = anyio.current_time()
        with pytest.raises(ProviderError, match=f"^{provider} at .* malformed HTTP") as caught:
            await w.stack(attempts=4, timeout=60.0).complete(REQUEST)
        assert anyio.current_time() == start  # at once: not after a read timeout
        await anyio.sleep(0.01)
        assert w.server.open_connections == 0
    assert not caught.value.retryable
    assert len(w.server.requests) == 1


async def test_invalid_json_is_malformed_and_not_retried(
    provider: str, kind: str, streamed: bool
) -> None:
    async with wire(provider, kind, then=Fault.invalid_json(), stream_completions=streamed) as w:
        with pytest.raises(MalformedResponse, match=f"{provider} at .* cannot read") as caught:
            await w.stack(attempts=4).complete(REQUEST)
    assert not caught.value.retryable
    assert len(w.server.requests) == 1


async def test_a_body_that_ends_too_early_is_retried(
    provider: str, kind: str, streamed: bool
) -> None:
    truncated = Fault.truncated()
    async with wire(provider, kind, truncated, truncated, stream_completions=streamed) as w:
        expected = ConnectionLost if streamed else MalformedResponse
        with pytest.raises(expected, match=f"^{provider} at .*(truncated|ended before)"):
            await w.stack(attempts=1).complete(REQUEST)
        assert (await w.stack(attempts=2).complete(REQUEST)).text == ANSWER
    assert len(w.server.requests) == 3


# -- streaming -----------------------------------------------------------------------------


class ChunkLog:
    """A transport that notes every body chunk a stream hands the adapter."""

    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.chunks: list[bytes] = []

    async def request(self, request: HttpRequest) -> HttpResponse:
        return await self.inner.request(request)

    @asynccontextmanager
    async def stream(self, request: HttpRequest) -> AsyncIterator[HttpStream]:
        async with self.inner.stream(request) as stream:
            yield _LoggedStream(stream, self.chunks)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _LoggedStream:
    def __init__(self, inner: HttpStream, chunks: list[bytes]) -> None:
        self.inner = inner
        self.status = inner.status
        self.headers = inner.headers
        self._chunks = chunks

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner.iter_bytes():
            self._chunks.append(chunk)
            yield chunk

    async def read(self) -> bytes:
        return await self.inner.read()


async def test_keep_alive_comments_and_split_events_give_text_usage_and_ttft(
    provider: str, kind: str
) -> None:
    paced = Fault.ok(first_token_delay=1.5, gap=0.25, keep_alive=0.5, split=True)
    # The pings also keep the stream within a read timeout shorter than its silences.
    quick = {"timeouts": Timeouts(read=1.0)}
    async with wire(provider, kind, then=paced, transport=quick, wrap=ChunkLog) as w:
        start = anyio.current_time()
        async with w.adapter.stream(REQUEST) as stream:
            times = [anyio.current_time() - start async for _ in stream]
        w.adapter.stream_completions = True
        response = await w.stack().complete(REQUEST)
    log = w.transport
    assert isinstance(log, ChunkLog)
    assert times == pytest.approx([1.5 + 0.25 * i for i in range(len(TOKENS))])
    assert stream.response.time_to_first_token == pytest.approx(1.5)
    assert (response.text, response.usage) == (ANSWER, USAGE)
    assert response.time_to_first_token == pytest.approx(1.5)
    # What was tested did happen: events arrived in pieces, pings between them.
    assert any(not chunk.endswith(b"\n\n") for chunk in log.chunks)
    assert any(chunk.startswith(b": ping") for chunk in log.chunks)


async def test_a_body_left_open_after_the_end_marker_costs_the_connection_not_the_answer(
    provider: str, kind: str
) -> None:
    lingering = Fault.ok(linger=30.0)
    async with wire(provider, kind, then=lingering, stream_completions=True) as w:
        start = anyio.current_time()
        first = await w.stack(timeout=10.0).complete(REQUEST)
        assert anyio.current_time() - start == pytest.approx(HttpChatStream.DRAIN_GRACE)
        await anyio.sleep(0.01)
        assert w.server.open_connections == 0  # closed, not pooled half-read
        second = await w.stack(timeout=10.0).complete(REQUEST)
    assert first.text == second.text == ANSWER
    assert w.server.connections_opened == 2


async def test_the_read_timeout_ends_a_silent_stream_naming_the_provider(
    provider: str, kind: str
) -> None:
    silent = Fault.ok(first_token_delay=1.5)
    quick = {"timeouts": Timeouts(read=1.0)}
    async with wire(provider, kind, then=silent, transport=quick) as w:
        start = anyio.current_time()
        with pytest.raises(LLMTimeout, match=f"^{provider} at .*read timeout"):
            async with w.adapter.stream(REQUEST) as stream:
                async for _ in stream:
                    pass
        assert anyio.current_time() - start == pytest.approx(1.0)


async def test_cancelling_a_streamed_call_closes_its_connection_and_leaks_no_task(
    provider: str, kind: str
) -> None:
    async with wire(provider, kind, then=Fault.ok(gap=1.0), stream_completions=True) as w:
        stack = w.stack()
        await anyio.sleep(0.1)  # the server's tasks are up
        tasks_before = len(anyio.get_running_tasks())
        with anyio.move_on_after(2.5) as scope:
            await stack.complete(REQUEST)
        assert scope.cancelled_caught
        await anyio.sleep(0.01)
        assert w.server.open_connections == 0
        assert len(anyio.get_running_tasks()) == tasks_before
        assert stack.totals.cancelled == 1
        assert w.fake.in_flight == 0
    assert w.server.connections_opened == 1


async def test_64_concurrent_calls_share_a_bounded_pool(
    provider: str, kind: str, streamed: bool
) -> None:
    responses = []

    async def one(stack: MiddlewareStack) -> None:
        responses.append(await stack.complete(REQUEST))

    pool = {"max_connections_per_origin": 8}
    slow = Fault.ok(first_token_delay=1.0)
    async with wire(provider, kind, then=slow, transport=pool, stream_completions=streamed) as w:
        stack = w.stack(max_concurrency=64)
        start = anyio.current_time()
        async with anyio.create_task_group() as tg:
            for _ in range(64):
                tg.start_soon(one, stack)
        elapsed = anyio.current_time() - start
    assert [r.text for r in responses] == [ANSWER] * 64
    assert w.server.connections_opened <= 8
    assert w.fake.peak == 8
    assert elapsed == pytest.approx(8.0)  # 64 calls, 8 at a time, 1 s each


# -- the same fake on aiohttp.web ------------------------------------------------------------


async def test_an_aiohttp_web_fake_serves_completions_streams_429s_and_drops(
    kind: str, anyio_backend: tuple[str, Any]
) -> None:
    if anyio_backend[0] != "asyncio":
        pytest.skip("aiohttp.web runs only on asyncio")
    from aiohttp.test_utils import TestServer

    limited = Fault.status(429, headers={"retry-after": "7"})
    fake = FakeOpenAI(FaultPlan([OK, OK, limited, OK, Fault.drop(after=4)]))
    async with TestServer(aiohttp_app(fake), host="127.0.0.1") as server:
        transport = default_transport(kind=kind)  # type: ignore[arg-type]
        url = fake.base_url(str(server.make_url("")).rstrip("/"))
        adapter = OpenAIChat(model="gpt-test", base_url=url, transport=transport)
        try:
            whole = await adapter.complete(REQUEST)
            async with adapter.stream(REQUEST) as stream:
                deltas = [delta async for delta in stream]
            retried = await MiddlewareStack(adapter, attempts=2).complete(REQUEST)
            adapter.stream_completions = True
            dropped = MiddlewareStack(adapter, attempts=2)
            resumed = await dropped.complete(REQUEST)
        finally:
            await transport.aclose()
    assert (whole.text, whole.usage) == (ANSWER, USAGE)
    assert (deltas, stream.response.usage) == (TOKENS, USAGE)
    assert retried.text == resumed.text == ANSWER
    assert [call.status for call in fake.calls] == [200, 200, 429, 200, 200, 200]
    assert fake.calls[3].at - fake.calls[2].at == pytest.approx(7.0)
    assert dropped.retry.retries == 1
