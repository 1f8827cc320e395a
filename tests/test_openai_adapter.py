"""The OpenAI-compatible adapter's own wire format (what it shares with the
Anthropic adapter is tested in test_http_providers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from provider_support import FAKE_KEY, REQUEST, decode_body, encode, json_response

from rafa_async import MalformedResponse, ProviderError, RateLimited
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.llm import ChatRequest, HttpRequest, HttpResponse, Message, MockTransport

pytestmark = pytest.mark.anyio

ANSWER = {
    "id": "chatcmpl-1",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"content": "13"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22},
}


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)


def replying(obj: object = ANSWER, *, status: int = 200, **headers: str) -> MockTransport:
    return MockTransport(lambda request: json_response(obj, status, headers), chunk_size=5)


def streaming(body: bytes) -> MockTransport:
    return MockTransport(lambda request: HttpResponse(status=200, body=body), chunk_size=3)


def sse(*chunks: object, done: bool = True) -> bytes:
    body = b"".join(b"data: " + encode(chunk) + b"\n\n" for chunk in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


def sent(transport: MockTransport) -> HttpRequest:
    (request,) = transport.requests
    return request


async def test_a_call_posts_chat_completions_with_a_bearer_key(anyio_backend: Any) -> None:
    transport = replying()
    llm = OpenAIChat(model="gpt-4o-mini", transport=transport)
    await llm.complete(REQUEST)
    request = sent(transport)
    assert (request.method, request.url) == ("POST", "https://api.openai.com/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.body == encode(
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "What is 4 + 9?"}],
            "temperature": 0.7,
        }
    )


async def test_max_tokens_and_every_role_reach_the_body(anyio_backend: Any) -> None:
    transport = replying()
    request = ChatRequest(
        messages=(
            Message("system", "Be brief."),
            Message("user", "4+9?"),
            Message("assistant", "13"),
        ),
        max_tokens=64,
        temperature=0.0,
    )
    await OpenAIChat(model="m", transport=transport).complete(request)
    body = decode_body(sent(transport))
    assert body["max_tokens"] == 64
    assert body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant"]


async def test_a_local_server_gets_no_authorization_header(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    transport = replying()
    llm = OpenAIChat(model="llama3.2", base_url="http://localhost:11434/v1/", transport=transport)
    await llm.complete(REQUEST)
    request = sent(transport)
    assert request.url == "http://localhost:11434/v1/chat/completions"
    assert "authorization" not in request.headers
    assert "(absent)" in repr(llm)


async def test_the_key_variable_is_configurable(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VLLM_KEY", "other-key")
    transport = replying()
    await OpenAIChat(model="m", api_key_env="VLLM_KEY", transport=transport).complete(REQUEST)
    await OpenAIChat(model="m", api_key_env=None, transport=transport).complete(REQUEST)
    headers = [r.headers.get("authorization") for r in transport.requests]
    assert headers == ["Bearer other-key", None]


async def test_a_stream_asks_for_usage_in_its_last_chunk(anyio_backend: Any) -> None:
    transport = streaming(sse({"choices": [{"delta": {"content": "13"}}]}))
    async with OpenAIChat(model="m", transport=transport).stream(REQUEST) as stream:
        assert [d async for d in stream] == ["13"]
    request = sent(transport)
    body = decode_body(request)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert request.headers["accept"] == "text/event-stream"


async def test_the_response_is_decoded(anyio_backend: Any) -> None:
    response = await OpenAIChat(model="gpt-4o-mini", transport=replying()).complete(REQUEST)
    assert response.text == "13"
    assert response.model == "gpt-4o-mini-2024-07-18"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (20, 2)
    assert response.finish_reason == "stop"


async def test_null_content_is_empty_text_and_finish_reason_is_kept(anyio_backend: Any) -> None:
    answer = {"choices": [{"message": {"content": None}, "finish_reason": "length"}]}
    response = await OpenAIChat(model="m", transport=replying(answer)).complete(REQUEST)
    assert (response.text, response.finish_reason, response.model) == ("", "length", "m")


async def test_a_response_without_choices_is_malformed(anyio_backend: Any) -> None:
    llm = OpenAIChat(model="m", transport=replying({"choices": []}))
    with pytest.raises(MalformedResponse, match="it has no choices") as caught:
        await llm.complete(REQUEST)
    assert caught.value.retryable is False


async def test_a_stream_reads_only_the_first_choice_and_its_finish_reason(
    anyio_backend: Any,
) -> None:
    body = sse(
        {"choices": [{"index": 1, "delta": {"content": "other"}}]},
        {"choices": [{"index": 0, "delta": {"content": "thirt"}}]},
        {"choices": [{"index": 0, "delta": {"content": "een"}, "finish_reason": "length"}]},
        {
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 3},
            "rafa_simulated": True,
        },
    )
    async with OpenAIChat(model="m", transport=streaming(body)).stream(REQUEST) as stream:
        assert [d async for d in stream] == ["thirt", "een"]
    response = stream.response
    assert (response.text, response.finish_reason, response.simulated) == (
        "thirteen",
        "length",
        True,
    )
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (9, 3)


@pytest.mark.parametrize(
    ("event", "kind", "retryable", "status"),
    [
        (
            {"error": {"message": "slow down", "type": "rate_limit_exceeded"}},
            RateLimited,
            True,
            None,
        ),
        ({"error": {"message": "oops", "type": "server_error"}}, ProviderError, True, 500),
        (
            {"object": "error", "message": "too long", "type": "BadRequestError", "code": 400},
            ProviderError,
            False,
            400,
        ),
        ({"error": "model crashed"}, ProviderError, True, 500),
    ],
)
async def test_an_error_chunk_mid_stream_is_typed(
    anyio_backend: Any, event: object, kind: type[Exception], retryable: bool, status: int | None
) -> None:
    body = sse({"choices": [{"delta": {"content": "1"}}]}, event)
    with pytest.raises(kind) as caught:
        async with OpenAIChat(model="m", transport=streaming(body)).stream(REQUEST) as stream:
            async for _ in stream:
                pass
    error = caught.value
    assert type(error) is kind
    assert error.retryable is retryable
    assert getattr(error, "status", None) == status


async def test_429_reads_an_http_date_retry_after(anyio_backend: Any) -> None:
    llm = OpenAIChat(
        model="m",
        transport=replying({}, status=429, **{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}),
    )
    with pytest.raises(RateLimited) as caught:
        await llm.complete(REQUEST)
    assert caught.value.retry_after == 0.0
