"""Fake OpenAI Chat Completions and Anthropic Messages servers, with faults.

Each fake is a handler for :func:`http_server.serve` (in the test's own loop,
trio or asyncio, on the virtual clock), or for aiohttp.web through
:func:`aiohttp_app`.  It checks what the real API checks (the path, the key in
the provider's header, the body, the model) and answers in the provider's own
shapes: its JSON bodies, its error envelopes, and its streams::

    OpenAI     data: {chunk} ... (finish chunk) [usage chunk] data: [DONE]
    Anthropic  event: message_start, content_block_start, ping,
               content_block_delta..., content_block_stop, message_delta,
               message_stop

A :class:`FaultPlan` says what happens to each accepted request, by number::

    fake = FakeOpenAI(plan=FaultPlan([Fault.status(429, headers={"retry-after": "7"})]))
    async with serve(fake) as server:
        adapter = OpenAIChat(model="gpt-test", base_url=fake.base_url(server.url), ...)

``fake.calls`` records every request the fake saw (arrival time on the
test's clock, status answered, fault applied), and ``fake.peak`` the most
chat requests in flight at once.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

import anyio
import anyio.lowlevel
import msgspec
from aiohttp import web
from http_server import BaseReply, ServerRequest
from provider_support import FAKE_KEY

ANSWER = "4 + 9 = 13, so the answer is 13."

FaultKind = Literal[
    "ok",
    "status",
    "rate_limited",
    "error_event",
    "stall",
    "drop",
    "bad_framing",
    "invalid_json",
    "truncated",
]


class Fault(msgspec.Struct, frozen=True, kw_only=True):
    """What the fake does with one accepted request; make one with the
    class methods.  ``after``: events of a stream sent before a ``stall``,
    ``drop`` or ``bad_framing`` (a plain response's body is cut in half)."""

    kind: FaultKind = "ok"
    code: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    message: str | None = None
    after: int = 0
    first_token_delay: float = 0.0
    gap: float = 0.0
    keep_alive: float | None = None
    split: bool = False
    linger: float = 0.0
    reset_in: float = 0.0
    retry_after: float | None = None

    @classmethod
    def ok(
        cls,
        *,
        first_token_delay: float = 0.0,
        gap: float = 0.0,
        keep_alive: float | None = None,
        split: bool = False,
        linger: float = 0.0,
    ) -> Fault:
        """A good answer.  ``first_token_delay``: seconds before the answer (a
        stream's headers and opening events come at once, its first text
        then); ``gap``: seconds between a stream's text events;
        ``keep_alive``: send ``: ping`` comments between events and every
        ``keep_alive`` seconds of a wait; ``split``: write each event in
        three pieces, letting the client read each before the next;
        ``linger``: seconds a stream's body stays open after its end marker."""
        return cls(
            first_token_delay=first_token_delay,
            gap=gap,
            keep_alive=keep_alive,
            split=split,
            linger=linger,
        )

    @classmethod
    def status(
        cls, code: int, *, headers: Mapping[str, str] | None = None, message: str | None = None
    ) -> Fault:
        """An error status with the provider's error body (``message`` or its
        usual one for the status) and ``headers``."""
        pairs = tuple((headers or {}).items())
        return cls(kind="status", code=code, headers=pairs, message=message)

    @classmethod
    def rate_limited(cls, *, reset_in: float, retry_after: float | None = None) -> Fault:
        """A 429 with the provider's own rate-limit headers: the request limit
        exhausted, resetting in ``reset_in`` seconds (OpenAI: a duration;
        Anthropic: an RFC 3339 time on the wall clock, rounded up to the
        second, as the real API sends it); ``retry-after`` only if given."""
        return cls(kind="rate_limited", code=429, reset_in=reset_in, retry_after=retry_after)

    @classmethod
    def error_event(cls, code: int, *, after: int = 0) -> Fault:
        """A stream that starts well (``after`` events) and then reports an
        error as the provider does mid-stream: its error JSON (of the type
        for ``code``) as an event, and the end of the body.  A plain request
        gets ``code`` as its status."""
        return cls(kind="error_event", code=code, after=after)

    @classmethod
    def stall(cls, *, after: int | None = None) -> Fault:
        """Never answer (``after=None``), or stream ``after`` events and then go silent."""
        return cls(kind="stall", after=-1 if after is None else after)

    @classmethod
    def drop(cls, *, after: int = 0) -> Fault:
        """Close the connection after ``after`` events of a stream, or half
        way through a plain response's body."""
        return cls(kind="drop", after=after)

    @classmethod
    def bad_framing(cls, *, after: int = 0) -> Fault:
        """After ``after`` events of a stream (half a plain response's body,
        sent chunked), bytes that are not HTTP chunked framing; then silence
        until the client hangs up."""
        return cls(kind="bad_framing", after=after)

    @classmethod
    def invalid_json(cls) -> Fault:
        """A 200 whose body (or a stream's first text event) is not JSON."""
        return cls(kind="invalid_json")

    @classmethod
    def truncated(cls) -> Fault:
        """A body that ends cleanly at the HTTP level but too early: half the
        JSON (with a Content-Length saying so), or a stream without its end."""
        return cls(kind="truncated")


OK = Fault.ok()


class FaultPlan:
    """The fault for each accepted request, in order; ``then`` for every
    request after the list."""

    def __init__(self, faults: Iterable[Fault] = (), *, then: Fault = OK) -> None:
        self.faults = tuple(faults)
        self.then = then

    def __getitem__(self, number: int) -> Fault:
        """The fault for request ``number`` (1-based)."""
        return self.faults[number - 1] if number <= len(self.faults) else self.then


class Call(msgspec.Struct, kw_only=True):
    """One request the fake saw.  ``status``: the HTTP status answered (or
    meant, for a stall or drop before the headers); ``number`` counts
    accepted requests (those the plan applies to), 0 for one rejected before
    (path, key, body, model)."""

    at: float
    path: str
    status: int
    number: int = 0
    fault: Fault | None = None
    stream: bool = False
    body: Any = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)


class _Rejected(Exception):
    def __init__(self, status: int, body: object) -> None:
        self.status = status
        self.body = body


class StreamEvents(msgspec.Struct, frozen=True):
    """A stream's events on the wire: before the text, the text, and after
    it (the last is the provider's end marker)."""

    head: list[bytes]
    text: list[bytes]
    tail: list[bytes]


def tokens_of(text: str) -> list[str]:
    """The fake's tokens: each word with the space before it."""
    return re.findall(r"\s*\S+", text)


def count_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """The fake's prompt token count: 3, plus 4 and a token a word per message."""
    return 3 + sum(4 + len(str(m.get("content", "")).split()) for m in messages)


class FakeProvider(ABC):
    """What both fakes share: validation order, the fault plan, bookkeeping.

    The checks run in the real APIs' order: path and method, key, body,
    model; only then does the plan's fault for the request apply (a real
    provider rate-limits only requests it accepted).
    """

    path: ClassVar[str]
    name: ClassVar[str]
    key_env: ClassVar[str]
    request_id_header: ClassVar[str]
    model_missing: ClassVar[str]  # the 404 message, for str.format(model)

    def __init__(
        self,
        plan: FaultPlan | None = None,
        *,
        key: str = FAKE_KEY,
        models: Mapping[str, str] | None = None,
        answer: str = ANSWER,
    ) -> None:
        self.plan = plan or FaultPlan()
        self.key = key
        self.models = dict(models) if models is not None else self.default_models()
        self.answer = answer
        self.calls: list[Call] = []
        self.in_flight = 0
        self.peak = 0
        self._accepted = itertools.count(1)
        self._ids = itertools.count(1)

    # -- what a provider defines ---------------------------------------------------

    @abstractmethod
    def default_models(self) -> dict[str, str]:
        """Model names accepted, each with the name the answer reports."""

    @abstractmethod
    def base_url(self, server_url: str) -> str:
        """The adapter's ``base_url`` for a server at ``server_url``."""

    @abstractmethod
    def error_body(
        self, status: int, message: str | None = None, code: str | None = None
    ) -> object:
        """The provider's error JSON for ``status``: ``message`` or its usual
        one, and ``code`` where the provider has codes."""

    @abstractmethod
    def check_key(self, headers: Mapping[str, str]) -> None:
        """Raise ``_Rejected`` (401) unless the request carries the key."""

    @abstractmethod
    def check_body(self, body: Any, headers: Mapping[str, str]) -> None:
        """Raise ``_Rejected`` (400) for a body the API would refuse."""

    @abstractmethod
    def completion(self, model: str, parts: list[str], body: Any) -> object:
        """The JSON of a whole (non-streamed) answer."""

    @abstractmethod
    def events(self, model: str, parts: list[str], body: Any) -> StreamEvents:
        """The events of a streamed answer."""

    @abstractmethod
    def error_event(self, error: object) -> bytes:
        """``error`` (an error body) as the stream's error event."""

    @abstractmethod
    def garbled_event(self) -> bytes:
        """A text event whose data is not JSON."""

    @abstractmethod
    def rate_limit_headers(self, fault: Fault) -> list[tuple[str, str]]:
        """The provider's headers on a 429 (``Fault.rate_limited``)."""

    # -- the handler -----------------------------------------------------------------

    async def __call__(self, request: ServerRequest, reply: BaseReply) -> None:
        call = Call(at=anyio.current_time(), path=request.path, status=0, headers=request.headers)
        self.calls.append(call)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await self._handle(request, reply, call)
        finally:
            self.in_flight -= 1

    async def _handle(self, request: ServerRequest, reply: BaseReply, call: Call) -> None:
        try:
            body, model = self._accept(request, call)
        except _Rejected as rejected:
            call.status = rejected.status
            await reply.json(rejected.status, rejected.body, headers=self._id_header())
            return
        call.number = next(self._accepted)
        call.fault = fault = self.plan[call.number]
        call.status = 200 if fault.kind == "error_event" and call.stream else fault.code
        parts = tokens_of(self.answer)
        if isinstance(body.get("max_tokens"), int):
            parts = parts[: body["max_tokens"]]
        if fault.kind == "status" or (fault.kind == "error_event" and not call.stream):
            await reply.json(
                fault.code,
                self.error_body(fault.code, fault.message),
                headers=[*self._id_header(), *fault.headers],
            )
        elif fault.kind == "rate_limited":
            headers = [*self._id_header(), *self.rate_limit_headers(fault)]
            if fault.retry_after is not None:
                headers.append(("retry-after", f"{fault.retry_after:g}"))
            await reply.json(429, self.error_body(429), headers=headers)
        elif fault.kind == "stall" and fault.after < 0:
            await reply.stall()
        elif call.stream:
            await self._stream(reply, fault, self.events(model, parts, body))
        else:
            await self._complete(reply, fault, self.completion(model, parts, body))

    def _accept(self, request: ServerRequest, call: Call) -> tuple[Any, str]:
        """The request's body and the model to report, or ``_Rejected``."""
        if request.path != self.path or request.method != "POST":
            raise self.reject(404, f"Invalid URL ({request.method} {request.path})")
        self.check_key(request.headers)
        try:
            body = msgspec.json.decode(request.body)
        except msgspec.DecodeError:
            raise self.reject(400, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise self.reject(400, "the body must be a JSON object")
        call.body = body
        call.stream = body.get("stream") is True
        self.check_body(body, request.headers)
        model = body.get("model")
        if model not in self.models:
            raise self.reject(404, self.model_missing.format(model), code="model_not_found")
        return body, self.models[model]

    def reject(
        self, status: int, message: str | None = None, *, code: str | None = None
    ) -> _Rejected:
        return _Rejected(status, self.error_body(status, message, code))

    def _id_header(self) -> list[tuple[str, str]]:
        return [(self.request_id_header, f"req_{next(self._ids):08d}")]

    async def _complete(self, reply: BaseReply, fault: Fault, answer: object) -> None:
        await self._wait(reply, fault, fault.first_token_delay)
        data = msgspec.json.encode(answer)
        headers = [("content-type", "application/json"), *self._id_header()]
        if fault.kind == "invalid_json":
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        elif fault.kind == "truncated":
            data = data[: len(data) // 2]
        if fault.kind == "bad_framing":
            await reply.start(200, headers=headers)
            await reply.write(data[: len(data) // 2])
            await self._cut(reply, fault)
        await reply.start(200, headers=headers, content_length=len(data))
        if fault.kind == "drop":
            await reply.write(data[: len(data) // 2])
            await self._cut(reply, fault)
        await reply.write(data)
        await reply.end()

    async def _stream(self, reply: BaseReply, fault: Fault, events: StreamEvents) -> None:
        headers = [
            ("content-type", "text/event-stream; charset=utf-8"),
            ("cache-control", "no-cache"),
            *self._id_header(),
        ]
        text = list(events.text)
        tail = list(events.tail)
        if fault.kind == "invalid_json":
            text[0] = self.garbled_event()
        elif fault.kind == "truncated":
            tail.pop()
        sequence = [*events.head, *text, *tail]
        first_text = len(events.head)
        await reply.start(200, headers=headers)
        for index, event in enumerate(sequence):
            if index == fault.after and fault.kind in ("drop", "stall", "bad_framing"):
                await self._cut(reply, fault)
            if index == fault.after and fault.kind == "error_event":
                await reply.write(self.error_event(self.error_body(fault.code)))
                break
            if index == first_text:
                await self._wait(reply, fault, fault.first_token_delay)
            elif first_text < index < first_text + len(text):
                await self._wait(reply, fault, fault.gap)
            if fault.keep_alive is not None and index > 0:
                await reply.write(b": ping\n\n")
            await self._write(reply, event, split=fault.split)
        await self._wait(reply, fault, fault.linger)
        await reply.end()

    @staticmethod
    async def _cut(reply: BaseReply, fault: Fault) -> None:
        """End the answer here, as ``fault`` says (this never returns)."""
        if fault.kind == "drop":
            await reply.drop()
        if fault.kind == "bad_framing":
            await reply.raw(b"zz\r\nnot a chunk\r\n")
        await reply.stall()

    async def _wait(self, reply: BaseReply, fault: Fault, seconds: float) -> None:
        """Sleep ``seconds``, sending ``: ping`` every ``keep_alive`` seconds."""
        every = fault.keep_alive
        if every is not None and seconds > every:
            for _ in range(math.ceil(seconds / every) - 1):
                await reply.pause(every)
                await reply.write(b": ping\n\n")
                seconds -= every
        if seconds > 0:
            await reply.pause(seconds)

    @staticmethod
    async def _write(reply: BaseReply, event: bytes, *, split: bool) -> None:
        if not split:
            return await reply.write(event)
        third = max(1, len(event) // 3)
        for start in range(0, len(event), third):
            if start:
                # Let the client's read of the piece before happen first.
                for _ in range(3):
                    await anyio.lowlevel.checkpoint()
            await reply.write(event[start : start + third])


def _sse(data: object, event: str | None = None) -> bytes:
    line = b"data: " + (data if isinstance(data, bytes) else msgspec.json.encode(data)) + b"\n\n"
    return line if event is None else b"event: " + event.encode() + b"\n" + line


class FakeOpenAI(FakeProvider):
    """``POST /v1/chat/completions`` with ``authorization: Bearer KEY``."""

    path = "/v1/chat/completions"
    name = "openai"
    key_env = "OPENAI_API_KEY"
    request_id_header = "x-request-id"
    model_missing = "The model `{}` does not exist or you do not have access to it."
    created = 1_746_100_800
    _ERRORS: ClassVar[dict[int, tuple[str, str | None, str]]] = {
        400: ("invalid_request_error", None, "This model's maximum context length is 128000."),
        401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
        404: ("invalid_request_error", None, "Not found."),
        429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests per min."),
        500: ("server_error", None, "The server had an error while processing your request."),
        503: ("server_error", None, "The engine is currently overloaded, please try again later"),
    }

    def default_models(self) -> dict[str, str]:
        return {"gpt-test": "gpt-test-2025-01-01"}

    def base_url(self, server_url: str) -> str:
        return server_url + "/v1"

    def error_body(
        self, status: int, message: str | None = None, code: str | None = None
    ) -> object:
        usual = ("server_error" if status >= 500 else "invalid_request_error", None, "Error.")
        kind, usual_code, usual_message = self._ERRORS.get(status, usual)
        error = {"message": message or usual_message, "type": kind, "param": None}
        return {"error": {**error, "code": code or usual_code}}

    def check_key(self, headers: Mapping[str, str]) -> None:
        given = headers.get("authorization", "").removeprefix("Bearer ")
        if not given:
            raise self.reject(401, "You didn't provide an API key.", code="missing_api_key")
        if given != self.key:
            # As OpenAI does: the message quotes the start and the end of the key.
            masked = given[:8] + "*" * max(0, len(given) - 12) + given[-4:]
            raise self.reject(401, f"Incorrect API key provided: {masked}.")

    def check_body(self, body: Any, headers: Mapping[str, str]) -> None:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise self.reject(400, "'messages' must be a non-empty array")
        for message in messages:
            if message.get("role") not in ("system", "developer", "user", "assistant", "tool"):
                raise self.reject(400, f"Invalid role {message.get('role')!r}")
        if body.get("stream_options") is not None and body.get("stream") is not True:
            raise self.reject(400, "'stream_options' is only allowed when 'stream' is enabled")

    def _usage(self, body: Any, parts: list[str]) -> dict[str, object]:
        prompt = count_tokens(body["messages"])
        return {
            "prompt_tokens": prompt,
            "completion_tokens": len(parts),
            "total_tokens": prompt + len(parts),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        }

    def _finish(self, parts: list[str]) -> str:
        return "stop" if len(parts) == len(tokens_of(self.answer)) else "length"

    def completion(self, model: str, parts: list[str], body: Any) -> object:
        message = {"role": "assistant", "content": "".join(parts), "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None}
        return {
            "id": "chatcmpl-fake1",
            "object": "chat.completion",
            "created": self.created,
            "model": model,
            "choices": [{**choice, "finish_reason": self._finish(parts)}],
            "usage": self._usage(body, parts),
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }

    def events(self, model: str, parts: list[str], body: Any) -> StreamEvents:
        # With include_usage every chunk says "usage": null but the last one,
        # which has no choices and the counts.
        with_usage = (body.get("stream_options") or {}).get("include_usage") is True

        def chunk(delta: dict[str, object] | None, finish: str | None = None) -> bytes:
            fields: dict[str, object] = {
                "id": "chatcmpl-fake1",
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": []
                if delta is None
                else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            if with_usage:
                fields["usage"] = self._usage(body, parts) if delta is None else None
            return _sse(fields)

        tail = [chunk({}, self._finish(parts))]
        if with_usage:
            tail.append(chunk(None))
        return StreamEvents(
            head=[chunk({"role": "assistant", "content": "", "refusal": None})],
            text=[chunk({"content": part}) for part in parts],
            tail=[*tail, b"data: [DONE]\n\n"],
        )

    def error_event(self, error: object) -> bytes:
        return _sse(error)

    def garbled_event(self) -> bytes:
        return b'data: {"id": "chatcmpl-fake1", "choices": [{"delta": {"content": oops}}]}\n\n'

    def rate_limit_headers(self, fault: Fault) -> list[tuple[str, str]]:
        return [
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", go_duration(fault.reset_in)),
            ("x-ratelimit-limit-tokens", "200000"),
            ("x-ratelimit-remaining-tokens", "199000"),
            ("x-ratelimit-reset-tokens", "300ms"),
        ]


class FakeAnthropic(FakeProvider):
    """``POST /v1/messages`` with ``x-api-key`` and ``anthropic-version``."""

    path = "/v1/messages"
    name = "anthropic"
    key_env = "ANTHROPIC_API_KEY"
    request_id_header = "request-id"
    model_missing = "model: {}"
    _ERRORS: ClassVar[dict[int, tuple[str, str]]] = {
        400: ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
        401: ("authentication_error", "invalid x-api-key"),
        403: ("permission_error", "Your API key does not have permission to use the model."),
        404: ("not_found_error", "Not found"),
        429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
        500: ("api_error", "Internal server error"),
        529: ("overloaded_error", "Overloaded"),
    }

    def default_models(self) -> dict[str, str]:
        return {"claude-test": "claude-test-20250101"}

    def base_url(self, server_url: str) -> str:
        return server_url

    def error_body(
        self, status: int, message: str | None = None, code: str | None = None
    ) -> object:
        kind, usual = self._ERRORS.get(status, ("api_error", "Internal server error"))
        error = {"type": kind, "message": message or usual}
        return {"type": "error", "error": error, "request_id": "req_fake"}

    def check_key(self, headers: Mapping[str, str]) -> None:
        given = headers.get("x-api-key")
        if not given:
            raise self.reject(401, "x-api-key header is required")
        if given != self.key:
            raise self.reject(401)

    def check_body(self, body: Any, headers: Mapping[str, str]) -> None:
        if not headers.get("anthropic-version"):
            raise self.reject(400, "anthropic-version: header is required")
        if not isinstance(body.get("max_tokens"), int):
            raise self.reject(400, "max_tokens: Field required")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise self.reject(400, "messages: at least one message is required")
        for message in messages:
            if message.get("role") not in ("user", "assistant"):
                role = message.get("role")
                raise self.reject(400, f"messages: Unexpected role {role!r}: use `system`")

    def _usage(self, body: Any, output_tokens: int) -> dict[str, object]:
        system = body.get("system")
        messages = [*([{"content": system}] if system else []), *body["messages"]]
        return {
            "input_tokens": count_tokens(messages),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
        }

    def _stop(self, parts: list[str]) -> str:
        return "end_turn" if len(parts) == len(tokens_of(self.answer)) else "max_tokens"

    def _message(self, model: str, body: Any) -> dict[str, object]:
        return {
            "id": "msg_fake1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
        }

    def completion(self, model: str, parts: list[str], body: Any) -> object:
        return {
            **self._message(model, body),
            "content": [{"type": "text", "text": "".join(parts)}],
            "stop_reason": self._stop(parts),
            "usage": self._usage(body, len(parts)),
        }

    def events(self, model: str, parts: list[str], body: Any) -> StreamEvents:
        start = {**self._message(model, body), "usage": self._usage(body, 1)}
        stop = {"stop_reason": self._stop(parts), "stop_sequence": None}
        return StreamEvents(
            head=[
                _sse({"type": "message_start", "message": start}, "message_start"),
                _sse(
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                    "content_block_start",
                ),
                _sse({"type": "ping"}, "ping"),
            ],
            text=[
                _sse(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": part},
                    },
                    "content_block_delta",
                )
                for part in parts
            ],
            tail=[
                _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
                _sse(
                    {
                        "type": "message_delta",
                        "delta": stop,
                        "usage": {"output_tokens": len(parts)},
                    },
                    "message_delta",
                ),
                _sse({"type": "message_stop"}, "message_stop"),
            ],
        )

    def error_event(self, error: object) -> bytes:
        return _sse(error, "error")

    def garbled_event(self) -> bytes:
        return _sse(b'{"type": "content_block_delta", "delta": oops}', "content_block_delta")

    def rate_limit_headers(self, fault: Fault) -> list[tuple[str, str]]:
        return [
            ("anthropic-ratelimit-requests-limit", "50"),
            ("anthropic-ratelimit-requests-remaining", "0"),
            ("anthropic-ratelimit-requests-reset", rfc3339_in(fault.reset_in)),
            ("anthropic-ratelimit-tokens-limit", "80000"),
            ("anthropic-ratelimit-tokens-remaining", "79000"),
            ("anthropic-ratelimit-tokens-reset", rfc3339_in(60.0)),
        ]


def rfc3339_in(seconds: float) -> str:
    """The wall-clock time ``seconds`` from now, rounded up to the second, as
    Anthropic writes a reset time: ``"2025-05-01T12:00:30Z"``."""
    moment = datetime.fromtimestamp(math.ceil(time.time() + seconds), UTC)
    return moment.isoformat().replace("+00:00", "Z")


def go_duration(seconds: float) -> str:
    """``seconds`` as OpenAI writes a reset time: ``"20ms"``, ``"2s"``, ``"6m0s"``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:g}s" if minutes else f"{rest:g}s"


# -- the same fakes on aiohttp.web ------------------------------------------------------


class _AiohttpReply(BaseReply):
    """An ``http_server`` reply over an aiohttp.web response."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self.response: web.StreamResponse | None = None

    async def _head(
        self, status: int, fields: list[tuple[str, str]], content_length: int | None
    ) -> None:
        response = self.response = web.StreamResponse(status=status)
        for name, value in fields:
            response.headers.add(name, value)
        if content_length is None:
            response.enable_chunked_encoding()
        else:
            response.content_length = content_length
        await response.prepare(self._request)

    async def write(self, data: bytes) -> None:
        assert self.response is not None
        await self.response.write(data)

    async def end(self) -> None:
        assert self.response is not None
        await self.response.write_eof()

    async def raw(self, data: bytes) -> None:
        assert self._request.transport is not None
        self._request.transport.write(data)

    async def drop(self) -> None:
        transport = self._request.transport
        if transport is not None:
            transport.abort()
        raise _Hangup

    async def stall(self) -> None:
        await anyio.sleep_forever()

    async def pause(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class _Hangup(Exception):
    pass


def aiohttp_app(fake: FakeProvider) -> web.Application:
    """An aiohttp.web app serving ``fake`` (asyncio only), e.g. in
    ``aiohttp.test_utils.TestServer``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        seen = ServerRequest(
            method=request.method,
            target=request.path_qs,
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.read(),
            connection=0,
        )
        reply = _AiohttpReply(request)
        try:
            await fake(seen, reply)
        except _Hangup:
            raise web.HTTPException() from None  # the connection is gone; nothing is sent
        assert reply.response is not None
        return reply.response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app
