"""The Anthropic adapter's own wire format (what it shares with the OpenAI
adapter is tested in test_http_providers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from provider_support import FAKE_KEY, REQUEST, decode_body, encode, json_response

from rafa_async import ProviderError, RateLimited
from rafa_async.adapters.anthropic import AnthropicChat
from rafa_async.llm import ChatRequest, HttpRequest, HttpResponse, Message, MockTransport

pytestmark = pytest.mark.anyio

ANSWER = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-20250514",
    "content": [{"type": "text", "text": "13"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 20, "output_tokens": 2},
}
CONVERSATION = ChatRequest(
    messages=(
        Message("system", "You solve arithmetic."),
        Message("user", "4+9?"),
        Message("assistant", "13"),
        Message("system", "Answer in words."),
        Message("user", "And 6+7?"),
    )
)


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)


def replying(obj: object = ANSWER, *, status: int = 200, **headers: str) -> MockTransport:
    return MockTransport(lambda request: json_response(obj, status, headers), chunk_size=5)


def sse(*events: tuple[str, object]) -> bytes:
    return b"".join(
        b"event: " + name.encode() + b"\ndata: " + encode(data) + b"\n\n" for name, data in events
    )


def text_delta(text: str, kind: str = "text_delta") -> tuple[str, object]:
    key = "text" if kind == "text_delta" else "thinking"
    return (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": kind, key: text}},
    )


async def read(body: bytes, **options: Any) -> tuple[list[str], Any]:
    transport = MockTransport(lambda request: HttpResponse(status=200, body=body), chunk_size=4)
    async with AnthropicChat(model="claude", transport=transport, **options).stream(REQUEST) as s:
        deltas = [d async for d in s]
    return deltas, s.response


def sent(transport: MockTransport) -> HttpRequest:
    (request,) = transport.requests
    return request


async def test_a_call_posts_messages_with_key_and_version_headers(anyio_backend: Any) -> None:
    transport = replying()
    await AnthropicChat(model="claude-sonnet-4-0", transport=transport).complete(REQUEST)
    request = sent(transport)
    assert (request.method, request.url) == ("POST", "https://api.anthropic.com/v1/messages")
    assert request.headers["x-api-key"] == FAKE_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    assert request.body == encode(
        {
            "model": "claude-sonnet-4-0",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "What is 4 + 9?"}],
            "temperature": 0.7,
        }
    )


async def test_system_messages_become_the_system_field(anyio_backend: Any) -> None:
    transport = replying()
    await AnthropicChat(model="c", transport=transport).complete(CONVERSATION)
    body = decode_body(sent(transport))
    assert body["system"] == "You solve arithmetic.\n\nAnswer in words."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


async def test_max_tokens_comes_from_the_request_else_the_adapter(anyio_backend: Any) -> None:
    transport = replying()
    llm = AnthropicChat(model="c", max_tokens=300, transport=transport)
    await llm.complete(REQUEST)
    await llm.complete(ChatRequest(messages=REQUEST.messages, max_tokens=50))
    assert [decode_body(r)["max_tokens"] for r in transport.requests] == [300, 50]


async def test_version_and_base_url_are_configurable(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    transport = replying()
    llm = AnthropicChat(
        model="c",
        base_url="http://127.0.0.1:8080/",
        anthropic_version="2099-01-01",
        transport=transport,
    )
    await llm.complete(REQUEST)
    request = sent(transport)
    assert request.url == "http://127.0.0.1:8080/v1/messages"
    assert request.headers["anthropic-version"] == "2099-01-01"
    assert "x-api-key" not in request.headers


async def test_a_stream_request_says_stream(anyio_backend: Any) -> None:
    transport = MockTransport(
        lambda request: HttpResponse(status=200, body=sse(("message_stop", {}))), chunk_size=4
    )
    async with AnthropicChat(model="c", transport=transport).stream(REQUEST) as stream:
        assert [d async for d in stream] == []
    body = decode_body(sent(transport))
    assert body["stream"] is True
    assert "stream_options" not in body


async def test_only_text_blocks_make_the_text(anyio_backend: Any) -> None:
    answer = {
        "content": [
            {"type": "thinking", "thinking": "4 plus 9...", "signature": "x"},
            {"type": "text", "text": "Thirteen"},
            {"type": "tool_use", "id": "t", "name": "calc", "input": {"a": 4}},
            {"type": "text", "text": "."},
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
            "output_tokens": 9,
        },
    }
    response = await AnthropicChat(model="c", transport=replying(answer)).complete(REQUEST)
    assert response.text == "Thirteen."
    assert response.model == "c"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (125, 9)
    assert response.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("refusal", "refusal"),
        (None, "stop"),
    ],
)
async def test_stop_reasons_are_reported_in_openai_words(
    anyio_backend: Any, stop_reason: str | None, finish_reason: str
) -> None:
    answer = {**ANSWER, "stop_reason": stop_reason}
    response = await AnthropicChat(model="c", transport=replying(answer)).complete(REQUEST)
    assert response.finish_reason == finish_reason


async def test_a_stream_skips_thinking_pings_and_unknown_events(anyio_backend: Any) -> None:
    body = sse(
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "model": "claude-x",
                    "usage": {"input_tokens": 30, "cache_read_input_tokens": 4, "output_tokens": 1},
                },
            },
        ),
        text_delta("hmm", kind="thinking_delta"),
        ("ping", {"type": "ping"}),
        ("brand_new_event", {"type": "brand_new_event", "whatever": [1, 2]}),
        text_delta("Thir"),
        text_delta("teen"),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "max_tokens"},
                "usage": {"output_tokens": 12},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    )
    deltas, response = await read(body)
    assert deltas == ["Thir", "teen"]
    assert (response.text, response.model, response.finish_reason) == (
        "Thirteen",
        "claude-x",
        "length",
    )
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (34, 12)


async def test_message_delta_usage_may_restate_input_tokens(anyio_backend: Any) -> None:
    body = sse(
        ("message_start", {"message": {"usage": {"input_tokens": 30}}}),
        text_delta("x"),
        ("message_delta", {"delta": {}, "usage": {"input_tokens": 31, "output_tokens": 2}}),
        ("message_stop", {}),
    )
    _, response = await read(body)
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (31, 2)


@pytest.mark.parametrize(
    ("kind", "error", "retryable"),
    [
        ("rate_limit_error", RateLimited, True),
        ("overloaded_error", ProviderError, True),
        ("api_error", ProviderError, True),
        ("invalid_request_error", ProviderError, False),
    ],
)
async def test_an_error_event_is_typed(
    anyio_backend: Any, kind: str, error: type[Exception], retryable: bool
) -> None:
    body = sse(
        ("message_start", {"message": {}}),
        text_delta("x"),
        ("error", {"type": "error", "error": {"type": kind, "message": "went wrong"}}),
    )
    with pytest.raises(error, match="went wrong") as caught:
        await read(body)
    assert type(caught.value) is error
    assert caught.value.retryable is retryable


async def test_overloaded_529_is_retryable(anyio_backend: Any) -> None:
    error_body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    llm = AnthropicChat(model="c", transport=replying(error_body, status=529))
    with pytest.raises(ProviderError, match=r"failed \(HTTP 529: Overloaded\)") as caught:
        await llm.complete(REQUEST)
    assert caught.value.retryable
