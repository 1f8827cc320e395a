"""OpenAI-compatible Chat Completions (``POST {base_url}/chat/completions``).

The API OpenAI serves and most local servers copy: vLLM, Ollama
(``http://localhost:11434/v1``), llama.cpp's server, LM Studio
(``http://localhost:1234/v1``), and ``rafa sim-serve``.  Local servers
usually need no key: leave the variable unset and no ``authorization``
header is sent.

Streaming asks for ``stream_options.include_usage`` so the last chunk carries
the token counts; a server that ignores it gets its usage estimated.  A
top-level ``"rafa_simulated": true`` (sent by ``rafa sim-serve``) marks the
response as simulated.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from rafa_async.adapters._http_chat import HttpChatProvider, StreamDecoder, chat_response
from rafa_async.llm import ChatRequest, ChatResponse, Intent, Message
from rafa_async.llm.http import HttpTransport, SSEEvent, Timeouts, TransportKind

__all__ = ["OpenAIChat"]


# -- the wire format ----------------------------------------------------------------


class _StreamOptions(msgspec.Struct):
    include_usage: bool = True


class _Request(msgspec.Struct, kw_only=True, omit_defaults=True):
    model: str
    messages: tuple[Message, ...]
    temperature: float
    max_tokens: int | None = None
    stream: bool = False
    stream_options: _StreamOptions | None = None
    rafa_intent: Intent | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _Message(msgspec.Struct):
    content: str | None = None


class _Choice(msgspec.Struct):
    message: _Message = msgspec.field(default_factory=_Message)
    finish_reason: str | None = None


class _Response(msgspec.Struct):
    choices: list[_Choice]
    model: str = ""
    usage: _Usage | None = None
    rafa_simulated: bool = False


class _Delta(msgspec.Struct):
    content: str | None = None


class _ChunkChoice(msgspec.Struct):
    index: int = 0
    delta: _Delta = msgspec.field(default_factory=_Delta)
    finish_reason: str | None = None


class _ChunkError(msgspec.Struct):
    """Presence is enough; the event is decoded again as an error."""


class _Chunk(msgspec.Struct):
    choices: list[_ChunkChoice] = []
    model: str = ""
    usage: _Usage | None = None
    rafa_simulated: bool = False
    # An error mid-stream: {"error": {...}}, or vLLM's {"object": "error", ...}.
    error: _ChunkError | str | None = None
    object: str = ""


_response_decoder = msgspec.json.Decoder(_Response)
_chunk_decoder = msgspec.json.Decoder(_Chunk)
_STREAM_OPTIONS = _StreamOptions()


class _OpenAIStream(StreamDecoder):
    """``data: {chunk}`` events, then ``data: [DONE]``."""

    def feed(self, event: SSEEvent) -> str | None:
        if event.data == "[DONE]":
            self.done = True
            return None
        try:
            chunk = _chunk_decoder.decode(event.data)
        except msgspec.DecodeError as error:
            raise self.errors.malformed("stream event", error) from error
        if chunk.error is not None or chunk.object == "error":
            raise self.errors.for_event(event.data)
        if chunk.model:
            self.model = chunk.model
        if chunk.usage is not None:
            self.prompt_tokens = chunk.usage.prompt_tokens
            self.completion_tokens = chunk.usage.completion_tokens
        self.simulated = self.simulated or chunk.rafa_simulated
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
            if choice.delta.content:
                self.parts.append(choice.delta.content)
                return choice.delta.content
        return None


# -- the adapter --------------------------------------------------------------------


class OpenAIChat(HttpChatProvider):
    """An OpenAI-compatible chat model.  See :class:`HttpChatProvider` for the
    options' meaning; ``api_key_env`` names the variable holding the key."""

    path = "chat/completions"
    end_marker = "data: [DONE]"
    request_type = _Request
    stream_decoder = _OpenAIStream

    def __init__(
        self,
        *,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key_env: str | None = "OPENAI_API_KEY",
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, object] | None = None,
        transport: HttpTransport | None = None,
        timeouts: Timeouts | None = None,
        transport_kind: TransportKind = "auto",
        max_connections: int = 64,
        send_intent: bool = False,
        stream_completions: bool = False,
        name: str = "openai",
    ) -> None:
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
        return {"authorization": f"Bearer {key}"} if key else {}

    def _body(self, request: ChatRequest, model: str, *, stream: bool) -> _Request:
        return _Request(
            model=model,
            messages=request.messages,
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            stream=stream,
            stream_options=_STREAM_OPTIONS if stream else None,
            rafa_intent=request.intent if self.send_intent else None,
        )

    def _decode(self, body: bytes, request: ChatRequest) -> ChatResponse:
        response = _response_decoder.decode(body)
        if not response.choices:
            raise self._errors.malformed("response", "it has no choices")
        choice = response.choices[0]
        usage = response.usage or _Usage()
        return chat_response(
            request,
            choice.message.content or "",
            model=response.model or self.model_for(request),
            prompt=usage.prompt_tokens,
            completion=usage.completion_tokens,
            finish_reason=choice.finish_reason or "stop",
            simulated=response.rafa_simulated,
        )
