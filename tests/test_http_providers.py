"""What the OpenAI-compatible and Anthropic adapters do alike: streaming, time to
first token, usage, error mapping, key hygiene, cancellation, retries.

Every test runs for both providers (the ``wire`` fixture) on both backends.
Their own wire formats are tested in test_openai_adapter.py and
test_anthropic_adapter.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
import structlog.testing
from provider_support import (
    FAKE_KEY,
    REQUEST,
    WIRES,
    AnthropicWire,
    OpenAIWire,
    PacedTransport,
    decode_body,
    encode,
    json_response,
)

from rafa_async import (
    ConfigError,
    ConnectFailed,
    ConnectionLost,
    LLMError,
    LLMTimeout,
    MalformedResponse,
    ProviderError,
    RateLimited,
)
from rafa_async.adapters import _http_chat as http_chat
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.llm import (
    AiohttpTransport,
    ChatRequest,
    ChatStream,
    H11Transport,
    HttpRequest,
    HttpResponse,
    Intent,
    Message,
    MiddlewareStack,
    MockTransport,
    StreamingLLM,
    Timeouts,
    estimate_tokens,
    prompt_tokens,
)

pytestmark = pytest.mark.anyio

Wire = OpenAIWire | AnthropicWire
PARTS = ("Hel", "lo, ", "wor", "ld!")


@pytest.fixture(params=WIRES, ids=lambda wire: wire.name)
def wire(request: pytest.FixtureRequest) -> Wire:
    chosen: Wire = request.param
    return chosen


@pytest.fixture(autouse=True)
def _fake_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for wire in WIRES:
        monkeypatch.setenv(wire.key_env, FAKE_KEY)


def answering(response: HttpResponse, *, chunk_size: int = 7) -> MockTransport:
    return MockTransport(lambda request: response, chunk_size=chunk_size)


def streaming(wire: Wire, *, chunk_size: int = 7, **options: Any) -> MockTransport:
    body = wire.events(PARTS, **options)
    return answering(HttpResponse(status=200, body=body), chunk_size=chunk_size)


async def read_stream(llm: Any, request: ChatRequest = REQUEST) -> tuple[list[str], Any]:
    async with llm.stream(request) as stream:
        deltas = [delta async for delta in stream]
    return deltas, stream.response


# -- streaming -----------------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 64, 1 << 20])
async def test_stream_yields_each_delta_then_the_whole_response(
    anyio_backend: Any, wire: Wire, chunk_size: int
) -> None:
    llm = wire.make(streaming(wire, chunk_size=chunk_size))
    deltas, response = await read_stream(llm)
    assert deltas == list(PARTS)
    assert response.text == "Hello, world!"
    assert response.model.endswith("-20250101") or response.model == "gpt-test-0613"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (11, 7)
    assert response.finish_reason == "stop"
    assert response.simulated is False


async def test_adapters_are_streaming_llms(anyio_backend: Any, wire: Wire) -> None:
    llm = wire.make(streaming(wire))
    assert isinstance(llm, StreamingLLM)
    async with llm.stream(REQUEST) as stream:
        chat_stream: ChatStream = stream
        assert [d async for d in chat_stream] == list(PARTS)


async def test_stream_survives_keep_alive_comments_and_crlf(anyio_backend: Any, wire: Wire) -> None:
    events = wire.events(PARTS).split(b"\n\n")
    body = b": keep-alive\n\n".join(event + b"\n\n" for event in events if event)
    body = b": open\r\n\r\n" + body.replace(b"\n", b"\r\n")
    for size in (1, 3, 17):
        llm = wire.make(answering(HttpResponse(status=200, body=body), chunk_size=size))
        deltas, response = await read_stream(llm)
        assert deltas == list(PARTS)
        assert response.text == "Hello, world!"


async def test_stream_without_usage_estimates_it(anyio_backend: Any, wire: Wire) -> None:
    _, response = await read_stream(wire.make(streaming(wire, usage=False)))
    assert response.usage.prompt_tokens == prompt_tokens(REQUEST)
    assert response.usage.completion_tokens == estimate_tokens("Hello, world!")


async def test_complete_without_usage_estimates_it(anyio_backend: Any, wire: Wire) -> None:
    llm = wire.make(answering(json_response(wire.ok("Thirteen.", usage=False))))
    response = await llm.complete(REQUEST)
    assert response.text == "Thirteen."
    assert response.usage.prompt_tokens == prompt_tokens(REQUEST)
    assert response.usage.completion_tokens == estimate_tokens("Thirteen.")


async def test_complete_reads_usage_and_ignores_unknown_fields(
    anyio_backend: Any, wire: Wire
) -> None:
    body = wire.ok("Thirteen.", system_fingerprint="fp_1", service_tier="default")
    response = await wire.make(answering(json_response(body))).complete(REQUEST)
    assert (response.text, response.usage.prompt_tokens, response.usage.completion_tokens) == (
        "Thirteen.",
        11,
        7,
    )
    assert response.time_to_first_token is None


async def test_rafa_simulated_marks_the_response_simulated(anyio_backend: Any, wire: Wire) -> None:
    llm = wire.make(answering(json_response(wire.ok("13", rafa_simulated=True))))
    assert (await llm.complete(REQUEST)).simulated is True


def by_event(wire: Wire) -> list[bytes]:
    return [event + b"\n\n" for event in wire.events(PARTS).split(b"\n\n") if event]


def first_text_event(chunks: list[bytes]) -> int:
    return next(i for i, chunk in enumerate(chunks) if PARTS[0].encode() in chunk)


async def test_time_to_first_token_is_measured_on_the_clock(anyio_backend: Any, wire: Wire) -> None:
    chunks = by_event(wire)
    first = first_text_event(chunks)
    transport = PacedTransport(chunks, header_delay=0.5, gap=0.25)
    async with wire.make(transport).stream(REQUEST) as stream:
        assert stream.time_to_first_token is None
        async for _ in stream:
            break
        assert stream.time_to_first_token == pytest.approx(0.5 + 0.25 * (first + 1))
        async for _ in stream:
            pass
    assert stream.response.time_to_first_token == stream.time_to_first_token


async def test_stream_completions_makes_complete_stream_and_time_it(
    anyio_backend: Any, wire: Wire
) -> None:
    transport = PacedTransport(by_event(wire), header_delay=1.0, gap=0.0)
    llm = wire.make(transport, stream_completions=True)
    response = await llm.complete(REQUEST)
    assert response.text == "Hello, world!"
    assert response.time_to_first_token == pytest.approx(1.0)
    assert decode_body(transport.requests[0])["stream"] is True
    assert transport.requests[0].headers["accept"] == "text/event-stream"


async def test_stream_reads_to_the_end_of_the_body_after_the_end_marker(
    anyio_backend: Any, wire: Wire
) -> None:
    transport = PacedTransport([*by_event(wire), b": trailing comment\n\n"], gap=0.1)
    await read_stream(wire.make(transport))
    assert transport.read_to_end
    assert transport.open_streams == 0


async def test_response_before_the_end_is_an_error(anyio_backend: Any, wire: Wire) -> None:
    async with wire.make(streaming(wire)).stream(REQUEST) as stream:
        with pytest.raises(RuntimeError, match="to its end"):
            _ = stream.response


async def test_reading_a_stream_after_its_block_is_an_error(anyio_backend: Any, wire: Wire) -> None:
    async with wire.make(streaming(wire)).stream(REQUEST) as stream:
        pass
    with pytest.raises(RuntimeError, match="after its `async with` block"):
        await anext(stream)


# -- request options shared by both --------------------------------------------------


async def test_extra_headers_and_body_reach_the_wire(anyio_backend: Any, wire: Wire) -> None:
    transport = answering(json_response(wire.ok("ok")))
    llm = wire.make(
        transport,
        extra_headers={"X-Trace": "t-1", "User-Agent": "mine/1"},
        extra_body={"top_p": 0.5, "metadata": {"run": "r1"}},
    )
    await llm.complete(REQUEST)
    (sent,) = transport.requests
    assert sent.headers["x-trace"] == "t-1"
    assert sent.headers["user-agent"] == "mine/1"
    body = decode_body(sent)
    assert (body["top_p"], body["metadata"]) == (0.5, {"run": "r1"})
    assert body["messages"] == [{"role": "user", "content": "What is 4 + 9?"}]


async def test_extra_body_may_not_set_what_the_adapter_sets(wire: Wire) -> None:
    with pytest.raises(ConfigError, match="extra_body sets messages, model"):
        wire.make(answering(json_response({})), extra_body={"model": "x", "messages": []})


async def test_extra_body_must_be_json(wire: Wire) -> None:
    with pytest.raises(ConfigError, match="cannot be sent as JSON"):
        wire.make(answering(json_response({})), extra_body={"when": object()})


async def test_send_intent_puts_the_intent_in_rafa_intent(anyio_backend: Any, wire: Wire) -> None:
    intent = Intent(kind="propose", scenario="game24", state="4 9 10 13", memory=("a", "b"))
    request = ChatRequest(messages=(Message("user", "propose"),), intent=intent)
    transport = answering(json_response(wire.ok("ok")))
    await wire.make(transport, send_intent=True).complete(request)
    await wire.make(transport).complete(request)
    with_intent, without = (decode_body(r) for r in transport.requests)
    assert with_intent["rafa_intent"] == {
        "kind": "propose",
        "scenario": "game24",
        "state": "4 9 10 13",
        "memory": ["a", "b"],
        "sample": 0,
        "detail": "",
    }
    assert "rafa_intent" not in without


async def test_the_request_model_wins_unless_default(anyio_backend: Any, wire: Wire) -> None:
    transport = answering(json_response(wire.ok("ok")))
    llm = wire.make(transport)
    await llm.complete(REQUEST)
    await llm.complete(ChatRequest(messages=REQUEST.messages, model="other-model"))
    models = [decode_body(r)["model"] for r in transport.requests]
    assert models == [llm.model, "other-model"]


# -- HTTP errors ---------------------------------------------------------------------


def error_body(message: str, kind: str = "invalid_request_error") -> dict[str, object]:
    return {"type": "error", "error": {"message": message, "type": kind}}


STATUS_ERRORS = [
    # status, error type, retryable, fragments of the message
    (400, ProviderError, False, ["rejected the request (HTTP 400: bad field)", "will not help"]),
    (401, ProviderError, False, ["rejected the API key (HTTP 401)", "_API_KEY"]),
    (403, ProviderError, False, ["refused the request (HTTP 403: bad field)", "may use model"]),
    (404, ProviderError, False, ["no such model", "base_url"]),
    (408, ProviderError, True, ["HTTP 408"]),
    (422, ProviderError, False, ["HTTP 422: bad field"]),
    (429, RateLimited, True, ["rate-limiting", "retry later"]),
    (500, ProviderError, True, ["failed (HTTP 500: bad field)"]),
    (502, ProviderError, True, ["HTTP 502"]),
    (503, ProviderError, True, ["HTTP 503"]),
    (504, ProviderError, True, ["HTTP 504"]),
    (529, ProviderError, True, ["HTTP 529"]),
]


def status_llm(wire: Wire, status: int, body: bytes, **headers: str) -> Any:
    return wire.make(answering(HttpResponse(status=status, headers=headers, body=body)))


@pytest.mark.parametrize(("status", "kind", "retryable", "fragments"), STATUS_ERRORS)
@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
async def test_http_errors_are_typed_and_say_what_to_do(
    anyio_backend: Any,
    wire: Wire,
    status: int,
    kind: type[LLMError],
    retryable: bool,
    fragments: list[str],
    streamed: bool,
) -> None:
    llm = status_llm(wire, status, encode(error_body("bad field")))
    with pytest.raises(kind) as caught:
        if streamed:
            await read_stream(llm)
        else:
            await llm.complete(REQUEST)
    error = caught.value
    assert type(error) is kind
    assert error.retryable is retryable
    message = str(error)
    assert message.startswith(f"{wire.name} at {llm.base_url}")
    for fragment in fragments:
        assert fragment in message
    if isinstance(error, ProviderError):
        assert error.status == status


async def test_401_without_a_key_says_to_set_one(
    anyio_backend: Any, wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(wire.key_env)
    llm = status_llm(wire, 401, b"{}")
    with pytest.raises(ProviderError, match=f"needs an API key .* set {wire.key_env}"):
        await llm.complete(REQUEST)


async def test_an_error_page_that_is_not_json_is_quoted(anyio_backend: Any, wire: Wire) -> None:
    llm = status_llm(wire, 502, b"<html><body>Bad   gateway\n</body></html>")
    with pytest.raises(ProviderError, match=r"HTTP 502: <html><body>Bad gateway </body></html>\)"):
        await llm.complete(REQUEST)


async def test_429_carries_retry_after(anyio_backend: Any, wire: Wire) -> None:
    llm = status_llm(wire, 429, b"{}", **{"retry-after": "7"})
    with pytest.raises(RateLimited, match="retry after 7s") as caught:
        await llm.complete(REQUEST)
    assert caught.value.retry_after == 7.0


RATE_LIMITS = {
    # Each provider's own rate-limit headers, its requests limit exhausted,
    # and the wait they say.
    "openai": (
        {
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1.5s",
            "x-ratelimit-remaining-tokens": "100",
            "x-ratelimit-reset-tokens": "6m0s",
        },
        1.5,
    ),
    "anthropic": (
        {
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": "2000-01-01T00:00:00Z",  # past: no wait
            "anthropic-ratelimit-tokens-remaining": "100",
            "anthropic-ratelimit-tokens-reset": "2999-01-01T00:00:00Z",
        },
        0.0,
    ),
}


@pytest.mark.parametrize("retry_after", [None, "12"], ids=["limit-headers", "and-retry-after"])
async def test_429_waits_as_the_providers_rate_limit_headers_say(
    anyio_backend: Any, wire: Wire, retry_after: str | None
) -> None:
    headers, wait = RATE_LIMITS[wire.name]
    if retry_after is not None:  # Retry-After wins over the limit headers
        headers, wait = {**headers, "retry-after": retry_after}, float(retry_after)
    llm = status_llm(wire, 429, encode(error_body("slow", "rate_limit_error")), **headers)
    with pytest.raises(RateLimited, match=rf"HTTP 429: slow\): retry after {wait:g}s") as caught:
        await llm.complete(REQUEST)
    assert caught.value.retry_after == wait


async def test_429_without_quota_is_not_retried(anyio_backend: Any, wire: Wire) -> None:
    body = encode({"error": {"message": "You exceeded your quota", "type": "insufficient_quota"}})
    with pytest.raises(ProviderError, match="no quota left") as caught:
        await status_llm(wire, 429, body).complete(REQUEST)
    assert type(caught.value) is ProviderError
    assert caught.value.retryable is False


# -- malformed bodies and broken streams ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "retryable"),
    [
        (b"<html>not json</html>", False),
        (b'{"unexpected": "shape"}', False),
        (b'{"choices": [{"message": {"content": "cut', True),
        (b'{"content": [{"type": "text", "te', True),
    ],
)
async def test_a_body_that_cannot_be_decoded_is_malformed(
    anyio_backend: Any, wire: Wire, body: bytes, retryable: bool
) -> None:
    llm = wire.make(answering(HttpResponse(status=200, body=body)))
    with pytest.raises(MalformedResponse, match=f"^{wire.name} at .* sent a") as caught:
        await llm.complete(REQUEST)
    assert caught.value.retryable is retryable


async def test_a_stream_cut_before_its_end_is_connection_lost(
    anyio_backend: Any, wire: Wire
) -> None:
    llm = wire.make(streaming(wire, end=False))
    with pytest.raises(
        ConnectionLost, match=f"^{wire.name} at .*the stream ended before"
    ) as caught:
        await read_stream(llm)
    assert caught.value.retryable


async def test_a_stream_cut_mid_event_is_connection_lost(anyio_backend: Any, wire: Wire) -> None:
    body = wire.events(PARTS)
    llm = wire.make(answering(HttpResponse(status=200, body=body[: len(body) - 9])))
    with pytest.raises(ConnectionLost):
        await read_stream(llm)


async def test_an_error_event_in_the_stream_is_raised(anyio_backend: Any, wire: Wire) -> None:
    events = by_event(wire)
    body = b"".join(events[:3]) + wire.error_event
    deltas: list[str] = []
    with pytest.raises(ProviderError) as caught:
        async with wire.make(answering(HttpResponse(status=200, body=body))).stream(REQUEST) as s:
            async for delta in s:
                deltas.append(delta)
    assert caught.value.retryable
    assert caught.value.status in (500, 529)
    assert str(caught.value).startswith(f"{wire.name} at ")


async def test_a_server_that_does_not_stream_is_told_apart(anyio_backend: Any, wire: Wire) -> None:
    whole = json_response(wire.ok("13"), headers={"content-type": "application/json"})
    with pytest.raises(MalformedResponse, match="may not support streaming") as caught:
        await read_stream(wire.make(answering(whole)))
    assert caught.value.retryable is False


async def test_a_garbled_stream_event_is_malformed(anyio_backend: Any, wire: Wire) -> None:
    events = by_event(wire)
    garbled = events[0].replace(b"{", b"{{", 1)
    llm = wire.make(answering(HttpResponse(status=200, body=garbled + b"".join(events[1:]))))
    with pytest.raises(MalformedResponse):
        await read_stream(llm)


# -- transport errors ----------------------------------------------------------------


def failing(error: BaseException) -> MockTransport:
    def handler(request: HttpRequest) -> HttpResponse:
        raise error

    return MockTransport(handler)


@pytest.mark.parametrize(
    "error",
    [
        ConnectFailed("cannot connect to 127.0.0.1:9 (connection refused)"),
        ConnectionLost("server closed the connection"),
        LLMTimeout("no response within 10s"),
        ProviderError("127.0.0.1:9 sent a malformed HTTP response to POST ...", retryable=False),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("streamed", [False, True], ids=["complete", "stream"])
async def test_transport_errors_keep_their_type_and_name_the_provider(
    anyio_backend: Any, wire: Wire, error: LLMError, streamed: bool
) -> None:
    llm = wire.make(failing(error))
    with pytest.raises(type(error)) as caught:
        if streamed:
            await read_stream(llm)
        else:
            await llm.complete(REQUEST)
    assert str(caught.value).startswith(f"{wire.name} at {llm.base_url}: {error}")
    assert caught.value.__cause__ is error
    assert type(caught.value) is type(error)
    assert caught.value.retryable is error.retryable


async def test_connection_refused_names_the_provider_and_keeps_the_hint(
    anyio_backend: Any, wire: Wire
) -> None:
    refused = ConnectFailed("could not connect to 127.0.0.1:1: refused; is the server running?")
    with pytest.raises(ConnectFailed, match=f"^{wire.name} at .*: could not .*server running"):
        await wire.make(failing(refused)).complete(REQUEST)


async def test_a_connection_lost_mid_stream_names_the_provider(
    anyio_backend: Any, wire: Wire
) -> None:
    transport = PacedTransport(by_event(wire)[:3], fail=ConnectionLost("peer reset"))
    with pytest.raises(ConnectionLost, match=f"^{wire.name} at .*: peer reset$"):
        await read_stream(wire.make(transport))
    assert transport.open_streams == 0


# -- cancellation --------------------------------------------------------------------


async def test_cancelling_mid_stream_closes_everything(anyio_backend: Any, wire: Wire) -> None:
    chunks = by_event(wire)
    transport = PacedTransport(chunks, header_delay=0.5, gap=1.0)
    deltas: list[str] = []
    with anyio.move_on_after(0.5 + first_text_event(chunks) + 1.5) as scope:
        async with wire.make(transport).stream(REQUEST) as stream:
            async for delta in stream:
                deltas.append(delta)
    assert scope.cancelled_caught
    assert 0 < len(deltas) < len(PARTS)
    assert transport.open_streams == 0
    assert transport.body_iterators_open == 0
    assert not transport.read_to_end


@pytest.mark.parametrize("stream_completions", [False, True])
async def test_cancelling_complete_returns_at_once(
    anyio_backend: Any, wire: Wire, stream_completions: bool
) -> None:
    transport = PacedTransport(by_event(wire), header_delay=10.0)
    llm = wire.make(transport, stream_completions=stream_completions)
    started = anyio.current_time()
    with anyio.move_on_after(1.0):
        await llm.complete(REQUEST)
    assert anyio.current_time() - started == pytest.approx(1.0)
    assert transport.open_streams == 0


async def test_leaving_a_stream_early_closes_it(anyio_backend: Any, wire: Wire) -> None:
    transport = PacedTransport(by_event(wire), gap=1.0)
    async with wire.make(transport).stream(REQUEST) as stream:
        async for _ in stream:
            break
    assert transport.open_streams == 0
    assert transport.body_iterators_open == 0


# -- under the middleware ------------------------------------------------------------


def scripted(*responses: HttpResponse) -> tuple[MockTransport, list[float]]:
    """Answers with ``responses`` in order (the last one repeated); records when."""
    times: list[float] = []

    def handler(request: HttpRequest) -> HttpResponse:
        times.append(anyio.current_time())
        return responses[min(len(times), len(responses)) - 1]

    return MockTransport(handler), times


async def test_retry_waits_out_retry_after_then_succeeds(anyio_backend: Any, wire: Wire) -> None:
    limited = HttpResponse(status=429, headers={"retry-after": "7"}, body=b"{}")
    transport, times = scripted(limited, json_response(wire.ok("Thirteen.")))
    stack = MiddlewareStack(wire.make(transport), attempts=3)
    response = await stack.complete(REQUEST)
    assert response.text == "Thirteen."
    assert len(times) == 2
    assert times[1] - times[0] == pytest.approx(7.0)
    assert stack.retry.retries == 1


async def test_retry_gets_past_server_errors(anyio_backend: Any, wire: Wire) -> None:
    failed = HttpResponse(status=503, body=b"{}")
    transport, times = scripted(failed, failed, json_response(wire.ok("ok")))
    stack = MiddlewareStack(wire.make(transport), attempts=4)
    assert (await stack.complete(REQUEST)).text == "ok"
    assert len(times) == 3


async def test_retry_never_repeats_a_bad_request(anyio_backend: Any, wire: Wire) -> None:
    transport, times = scripted(HttpResponse(status=400, body=encode(error_body("no"))))
    stack = MiddlewareStack(wire.make(transport), attempts=4)
    with pytest.raises(ProviderError, match="HTTP 400: no"):
        await stack.complete(REQUEST)
    assert len(times) == 1


# -- the key never leaks -------------------------------------------------------------


def _texts_of(error: BaseException) -> Iterator[str]:
    seen: BaseException | None = error
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        yield repr(seen.args)
        seen = seen.__cause__ or seen.__context__


async def test_the_api_key_never_appears_in_errors_reprs_or_logs(
    anyio_backend: Any, wire: Wire
) -> None:
    echo = encode(error_body(f"Incorrect API key provided: {FAKE_KEY}."))
    responses = [HttpResponse(status=s, body=echo) for s, *_ in STATUS_ERRORS]
    responses += [
        HttpResponse(status=429, headers={"retry-after": "1"}, body=echo),
        HttpResponse(status=200, body=b"not json " + FAKE_KEY.encode()),
        HttpResponse(status=200, body=b'{"choices": [{"message": {"content": "cut'),
    ]
    calls: list[Callable[[Any], Any]] = [lambda llm: llm.complete(REQUEST), read_stream]
    texts: list[str] = []
    with structlog.testing.capture_logs() as logs:
        for response in responses:
            for call in calls:
                llm = wire.make(answering(response))
                texts += [repr(llm), str(llm)]
                with pytest.raises(LLMError) as caught:
                    await call(llm)
                texts += _texts_of(caught.value)
        bodies = [
            wire.events(PARTS, end=False),
            by_event(wire)[0] + wire.error_event.replace(b"Overloaded", FAKE_KEY.encode()),
        ]
        for body in bodies:
            with pytest.raises(LLMError) as caught:
                await read_stream(wire.make(answering(HttpResponse(status=200, body=body))))
            texts += _texts_of(caught.value)
        for error in (ConnectFailed("refused"), LLMTimeout("slow")):
            with pytest.raises(LLMError) as caught:
                await wire.make(failing(error)).complete(REQUEST)
            texts += _texts_of(caught.value)
        ok = await wire.make(answering(json_response(wire.ok("fine")))).complete(REQUEST)
        texts.append(repr(ok))
    assert logs, "errors are logged"
    texts.append(repr(logs))
    assert len(texts) > 100
    assert not [text for text in texts if FAKE_KEY in text]
    assert any("[redacted]" in text for text in texts)


@pytest.mark.parametrize(
    ("base", "prefix"),
    [
        ("https://api.example.com", "https://api.example.com/"),
        ("https://api.example.com/", "https://api.example.com/"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1/"),
        ("https://gw.example.com/team/a/proxy", "https://gw.example.com/team/a/proxy/"),
    ],
)
async def test_the_endpoint_is_joined_to_the_base_url_keeping_its_path(
    anyio_backend: Any, wire: Wire, base: str, prefix: str
) -> None:
    transport = answering(json_response(wire.ok("ok")))
    llm = wire.make(transport, base_url=base)
    await llm.complete(REQUEST)
    await read_stream(wire.make(streaming(wire), base_url=base))
    endpoint = "chat/completions" if wire.name == "openai" else "v1/messages"
    assert [r.url for r in transport.requests] == [prefix + endpoint]


@pytest.mark.parametrize(
    "base",
    [
        f"https://api.example.com/v1?api_key={FAKE_KEY}",
        f"https://api.example.com/v1?x=1&key={FAKE_KEY}",
        f"https://api.example.com/v1#{FAKE_KEY}",
        f"https://user:{FAKE_KEY}@api.example.com/v1",
        FAKE_KEY,
    ],
    ids=["api_key", "key", "fragment", "userinfo", "the-key-itself"],
)
async def test_a_base_url_that_could_hold_a_key_is_refused_without_echoing_it(
    wire: Wire, base: str
) -> None:
    with pytest.raises(ConfigError, match=f"{wire.name} base_url: ") as caught:
        wire.make(answering(json_response({})), base_url=base)
    assert FAKE_KEY not in str(caught.value)


async def test_repr_names_the_provider_but_not_the_key(wire: Wire) -> None:
    llm = wire.make(answering(json_response({})))
    assert repr(llm).startswith(f"{type(llm).__name__}(name={wire.name!r}, model=")
    assert f"api_key_env={wire.key_env!r} (set)" in repr(llm)
    assert FAKE_KEY not in repr(llm)


# -- owning the transport ------------------------------------------------------------


async def test_an_adapter_closes_only_the_transport_it_made(
    anyio_backend: Any, wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[MockTransport] = []
    asked: list[tuple[str, Timeouts | None, int]] = []

    def default_transport(
        *, kind: str = "auto", timeouts: Timeouts | None = None, max_connections_per_origin: int
    ) -> MockTransport:
        asked.append((kind, timeouts, max_connections_per_origin))
        made.append(answering(json_response(wire.ok("ok"))))
        return made[-1]

    monkeypatch.setattr(http_chat, "default_transport", default_transport)
    async with wire.make(None) as llm:
        await llm.complete(REQUEST)
        await llm.complete(REQUEST)
    assert len(made) == 1
    assert made[0].closed
    assert len(made[0].requests) == 2
    assert asked == [("auto", None, 64)]

    given = answering(json_response(wire.ok("ok")))
    async with wire.make(given) as llm:
        await llm.complete(REQUEST)
    assert not given.closed


async def test_an_adapter_bounds_each_attempt_with_its_own_transports_total_timeout(
    anyio_backend: Any,
) -> None:
    bounded = OpenAIChat(model="m", api_key_env=None, timeouts=Timeouts(total=30.0))
    assert bounded.bounds_each_attempt
    transport = bounded._get_transport()
    expected = H11Transport if anyio_backend[0] == "trio" else AiohttpTransport
    assert isinstance(transport, expected)
    await bounded.aclose()
    given = OpenAIChat(model="m", api_key_env=None, transport=answering(json_response({})))
    assert not given.bounds_each_attempt
