"""Test doubles for the HTTP provider adapters: each provider's wire bodies, and
a transport that paces a stream on the virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import msgspec

from rafa_async.adapters._http_chat import HttpChatProvider
from rafa_async.adapters.anthropic import AnthropicChat
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.llm import ChatRequest, HttpRequest, HttpResponse, HttpStream, Message

FAKE_KEY = "sk-test-FAKE-5ecret-key-0123456789"
REQUEST = ChatRequest(messages=(Message("user", "What is 4 + 9?"),))


def encode(obj: object) -> bytes:
    return msgspec.json.encode(obj)


def decode_body(request: HttpRequest) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.json.decode(request.body)
    return body


def json_response(
    obj: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    return HttpResponse(status=status, headers=dict(headers or {}), body=encode(obj))


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


class OpenAIWire:
    """How an OpenAI-compatible server answers."""

    name = "openai"
    key_env = "OPENAI_API_KEY"
    error_event = b'data: {"error": {"message": "boom", "type": "server_error"}}\n\n'

    def make(self, transport: Any, **options: Any) -> HttpChatProvider:
        return OpenAIChat(model="gpt-test", transport=transport, **options)

    def ok(self, text: str, *, usage: bool = True, **extra: object) -> dict[str, object]:
        body: dict[str, object] = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-test-0613",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            **extra,
        }
        if usage:
            body["usage"] = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
        return body

    def events(self, parts: Sequence[str], *, usage: bool = True, end: bool = True) -> bytes:
        chunks: list[dict[str, object]] = [
            {"model": "gpt-test-0613", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        ]
        chunks += [
            {"model": "gpt-test-0613", "choices": [{"index": 0, "delta": {"content": part}}]}
            for part in parts
        ]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if usage:
            chunks.append({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 7}})
        body = b"".join(b"data: " + encode(chunk) + b"\n\n" for chunk in chunks)
        return body + (b"data: [DONE]\n\n" if end else b"")


class AnthropicWire:
    """How the Anthropic Messages API answers."""

    name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    error_event = (
        b'event: error\ndata: {"type": "error", "error": '
        b'{"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )

    def make(self, transport: Any, **options: Any) -> HttpChatProvider:
        return AnthropicChat(model="claude-test", transport=transport, **options)

    def ok(self, text: str, *, usage: bool = True, **extra: object) -> dict[str, object]:
        body: dict[str, object] = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-test-20250101",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            **extra,
        }
        if usage:
            body["usage"] = {"input_tokens": 11, "output_tokens": 7}
        return body

    def events(self, parts: Sequence[str], *, usage: bool = True, end: bool = True) -> bytes:
        start: dict[str, object] = {"id": "msg_1", "model": "claude-test-20250101", "content": []}
        if usage:
            start["usage"] = {"input_tokens": 11, "output_tokens": 1}
        events: list[tuple[str, dict[str, object]]] = [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            ("ping", {"type": "ping"}),
        ]
        events += [
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": part},
                },
            )
            for part in parts
        ]
        delta: dict[str, object] = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
        if usage:
            delta["usage"] = {"output_tokens": 7}
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", delta),
        ]
        if end:
            events.append(("message_stop", {"type": "message_stop"}))
        return b"".join(
            b"event: " + name.encode() + b"\ndata: " + encode(data) + b"\n\n"
            for name, data in events
        )


WIRES = (OpenAIWire(), AnthropicWire())


class PacedTransport:
    """Answers every request with ``status``/``headers`` and ``chunks``: the
    headers after ``header_delay`` virtual seconds, then each chunk ``gap``
    seconds after the previous one.  ``fail`` (an exception) is raised after the
    last chunk instead of ending the body.  Tracks open streams and whether the
    body was read to its end."""

    def __init__(
        self,
        chunks: Sequence[bytes],
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        header_delay: float = 0.0,
        gap: float = 0.0,
        fail: BaseException | None = None,
    ) -> None:
        self.chunks = list(chunks)
        self.status = status
        self.headers = dict(headers or {})
        self.header_delay = header_delay
        self.gap = gap
        self.fail = fail
        self.requests: list[HttpRequest] = []
        self.open_streams = 0
        self.read_to_end = False
        self.body_iterators_open = 0

    async def request(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        await anyio.sleep(self.header_delay)
        return HttpResponse(status=self.status, headers=self.headers, body=b"".join(self.chunks))

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[HttpStream]:
        return self._stream(request)

    @asynccontextmanager
    async def _stream(self, request: HttpRequest) -> AsyncIterator[HttpStream]:
        self.requests.append(request)
        await anyio.sleep(self.header_delay)
        self.open_streams += 1
        try:
            yield _PacedStream(self)
        finally:
            self.open_streams -= 1

    async def aclose(self) -> None:
        pass


class _PacedStream:
    def __init__(self, transport: PacedTransport) -> None:
        self._transport = transport
        self.status = transport.status
        self.headers = transport.headers

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        transport = self._transport
        transport.body_iterators_open += 1
        try:
            for chunk in transport.chunks:
                await anyio.sleep(transport.gap)
                yield chunk
            if transport.fail is not None:
                raise transport.fail
            transport.read_to_end = True
        finally:
            transport.body_iterators_open -= 1

    async def read(self) -> bytes:
        return b"".join(self._transport.chunks)
