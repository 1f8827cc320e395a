"""Anthropic Messages API (``POST {base_url}/v1/messages``).

Differences from the OpenAI wire format that this adapter absorbs: the key
goes in ``x-api-key`` with an ``anthropic-version`` header; system messages
become the top-level ``system`` field (joined by blank lines); ``max_tokens``
is required (the request's, else the adapter's ``max_tokens``); usage is
``input_tokens`` (plus prompt-cache reads and writes) and ``output_tokens``;
stop reasons are reported in OpenAI's words (``end_turn`` -> ``stop``,
``max_tokens`` -> ``length``) so callers see one vocabulary.

A stream is typed events: ``message_start`` (model, input tokens),
``content_block_delta`` (text), ``message_delta`` (stop reason, output
tokens), ``message_stop`` (the end), ``ping``, and ``error``; unknown event
types are skipped, as Anthropic asks of clients.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from rafa_async.adapters._http_chat import HttpChatProvider, StreamDecoder, chat_response
from rafa_async.llm import ChatRequest, ChatResponse, Intent, Message
from rafa_async.llm.http import HttpTransport, SSEEvent, Timeouts, TransportKind

__all__ = ["ANTHROPIC_VERSION", "AnthropicChat"]

ANTHROPIC_VERSION = "2023-06-01"


# -- the wire format ----------------------------------------------------------------


class _Request(msgspec.Struct, kw_only=True, omit_defaults=True):
    model: str
    max_tokens: int
    messages: tuple[Message, ...]
    system: str | None = None
    temperature: float
    stream: bool = False
    rafa_intent: Intent | None = None


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    @property
    def prompt_tokens(self) -> int | None:
        """All input tokens: ``input_tokens`` excludes those read from or written to the cache."""
        if self.input_tokens is None:
            return None
        cached = (self.cache_creation_input_tokens or 0) + (self.cache_read_input_tokens or 0)
        return self.input_tokens + cached


class _Block(msgspec.Struct):
    type: str = ""
    text: str = ""


class _Response(msgspec.Struct):
    content: list[_Block]
    model: str = ""
    stop_reason: str | None = None
    usage: _Usage | None = None
    rafa_simulated: bool = False


class _StartedMessage(msgspec.Struct):
    model: str = ""
    usage: _Usage | None = None
    rafa_simulated: bool = False


class _MessageStart(msgspec.Struct):
    message: _StartedMessage


class _TextDelta(msgspec.Struct):
    type: str = ""
    text: str = ""


class _BlockDelta(msgspec.Struct):
    delta: _TextDelta


class _StopDelta(msgspec.Struct):
    stop_reason: str | None = None


class _MessageDelta(msgspec.Struct):
    delta: _StopDelta = msgspec.field(default_factory=_StopDelta)
    usage: _Usage | None = None


_response_decoder = msgspec.json.Decoder(_Response)
_start_decoder = msgspec.json.Decoder(_MessageStart)
_block_delta_decoder = msgspec.json.Decoder(_BlockDelta)
_message_delta_decoder = msgspec.json.Decoder(_MessageDelta)

_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}


def _finish_reason(stop_reason: str | None) -> str:
    if stop_reason is None:
        return "stop"
    return _FINISH_REASONS.get(stop_reason, stop_reason)


class _AnthropicStream(StreamDecoder):
    def feed(self, event: SSEEvent) -> str | None:
        try:
            return self._feed(event)
        except msgspec.DecodeError as error:
            raise self.errors.malformed(f"{event.event} event", error) from error

    def _feed(self, event: SSEEvent) -> str | None:
        kind = event.event
        if kind == "content_block_delta":
            delta = _block_delta_decoder.decode(event.data).delta
            if delta.type == "text_delta" and delta.text:
                self.parts.append(delta.text)
                return delta.text
        elif kind == "message_start":
            message = _start_decoder.decode(event.data).message
            self.model = message.model or self.model
            self.simulated = message.rafa_simulated
            self._count(message.usage)
        elif kind == "message_delta":
            update = _message_delta_decoder.decode(event.data)
            if update.delta.stop_reason is not None:
                self.finish_reason = _finish_reason(update.delta.stop_reason)
            self._count(update.usage)
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            raise self.errors.for_event(event.data)
        return None

    def _count(self, usage: _Usage | None) -> None:
        if usage is None:
            return
        if usage.prompt_tokens is not None:
            self.prompt_tokens = usage.prompt_tokens
        if usage.output_tokens is not None:
            self.completion_tokens = usage.output_tokens


# -- the adapter --------------------------------------------------------------------


class AnthropicChat(HttpChatProvider):
    """A Claude model on the Messages API.  See :class:`HttpChatProvider` for
    the options' meaning.  ``base_url`` is the origin, as in Anthropic's SDK
    (the adapter adds ``/v1/messages``)."""

    path = "v1/messages"
    end_marker = "event: message_stop"
    request_type = _Request
    stream_decoder = _AnthropicStream

    def __init__(
        self,
        *,
        model: str,
        base_url: str = "https://api.anthropic.com",
        api_key_env: str | None = "ANTHROPIC_API_KEY",
        max_tokens: int = 1024,
        anthropic_version: str = ANTHROPIC_VERSION,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, object] | None = None,
        transport: HttpTransport | None = None,
        timeouts: Timeouts | None = None,
        transport_kind: TransportKind = "auto",
        max_connections: int = 64,
        send_intent: bool = False,
        stream_completions: bool = False,
        name: str = "anthropic",
    ) -> None:
        self.max_tokens = max_tokens
        self.anthropic_version = anthropic_version
        super().__init__(
            name=name,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            extra_headers=extra_headers or {},
            extra_body=extra_body or {},
            transport=transport,
            timeouts=timeouts,
            transport_kind=transport_kind,
            max_connections=max_connections,
            send_intent=send_intent,
            stream_completions=stream_completions,
        )

    def _auth_headers(self, key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": self.anthropic_version}
        if key:
            headers["x-api-key"] = key
        return headers

    def _body(self, request: ChatRequest, model: str, *, stream: bool) -> _Request:
        messages = request.messages
        system = None
        if any(m.role == "system" for m in messages):
            system = "\n\n".join(m.content for m in messages if m.role == "system")
            messages = tuple(m for m in messages if m.role != "system")
        return _Request(
            model=model,
            max_tokens=request.max_tokens or self.max_tokens,
            messages=messages,
            system=system,
            temperature=request.temperature,
            stream=stream,
            rafa_intent=request.intent if self.send_intent else None,
        )

    def _decode(self, body: bytes, request: ChatRequest) -> ChatResponse:
        response = _response_decoder.decode(body)
        usage = response.usage or _Usage()
        return chat_response(
            request,
            "".join(block.text for block in response.content if block.type == "text"),
            model=response.model or self.model_for(request),
            prompt=usage.prompt_tokens,
            completion=usage.output_tokens,
            finish_reason=_finish_reason(response.stop_reason),
            simulated=response.rafa_simulated,
        )
