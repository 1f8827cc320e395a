"""What the HTTP provider adapters share: configuration, the call, the stream.

A provider subclass says only how its wire protocol looks (the class attributes and
abstract methods of :class:`HttpChatProvider`): the request body, the response, the
stream's events (a :class:`StreamDecoder`).  This module does the rest the
same way for all of them: the API key from the environment, headers,
``extra_body``, sending through the transport, mapping HTTP errors
(:mod:`._http_errors`), decoding server-sent events and timing the first token.

Cancellation: an adapter starts no task of its own.  A call runs in the
caller's task and is cancelled at any await (sending, waiting for headers,
between chunks); the transport then closes the connection instead of pooling
it, and a stream's ``async with`` block releases everything it holds on exit.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import ClassVar, Self

import anyio
import msgspec
import structlog
from yarl import URL

from rafa_async import (
    ConfigError,
    ConnectionLost,
    LLMError,
    LLMTimeout,
    MalformedResponse,
    ProviderError,
    __version__,
)
from rafa_async.adapters._http_errors import ErrorMapper, ServerError
from rafa_async.llm import (
    ChatRequest,
    ChatResponse,
    Usage,
    check_base_url,
    estimate_tokens,
    http_identity,
    prompt_tokens,
)
from rafa_async.llm.http import (
    HttpRequest,
    HttpStream,
    HttpTransport,
    SSEDecoder,
    SSEEvent,
    Timeouts,
    TransportKind,
    default_transport,
)

log = structlog.get_logger("rafa_async.adapters")

ENCODER = msgspec.json.Encoder()
# What a transport raises (ConnectFailed and ConnectionLost are ProviderErrors;
# a bare one is a malformed HTTP response); each gets the provider's name.
_TRANSPORT_ERRORS = (ProviderError, LLMTimeout)


def chat_response(
    request: ChatRequest,
    text: str,
    *,
    model: str,
    prompt: int | None,
    completion: int | None,
    finish_reason: str,
    simulated: bool,
    time_to_first_token: float | None = None,
) -> ChatResponse:
    """The response, with the provider's token counts, each estimated when it sent none."""
    usage = Usage(
        prompt if prompt is not None else prompt_tokens(request),
        completion if completion is not None else estimate_tokens(text),
    )
    return ChatResponse(
        text=text,
        model=model,
        usage=usage,
        finish_reason=finish_reason,
        simulated=simulated,
        time_to_first_token=time_to_first_token,
    )


class StreamDecoder(ABC):
    """One streamed call's state: turns the provider's events into text deltas.

    A provider's subclass implements ``feed``: it returns the event's text
    delta, if any, and notes what else the event says (model, token counts,
    finish reason); it raises the typed error of an ``error`` event, or
    ``MalformedResponse`` for an event it cannot decode, and sets ``done`` at
    the provider's end-of-stream marker.  ``response`` is then the whole
    completion.
    """

    def __init__(self, request: ChatRequest, model: str, errors: ErrorMapper) -> None:
        self.request = request
        self.errors = errors
        self.parts: list[str] = []
        self.model = model
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.finish_reason = "stop"
        self.simulated = False
        self.done = False

    @abstractmethod
    def feed(self, event: SSEEvent) -> str | None: ...

    def response(self, time_to_first_token: float | None) -> ChatResponse:
        return chat_response(
            self.request,
            "".join(self.parts),
            model=self.model,
            prompt=self.prompt_tokens,
            completion=self.completion_tokens,
            finish_reason=self.finish_reason,
            simulated=self.simulated,
            time_to_first_token=time_to_first_token,
        )


class HttpChatStream:
    """The text deltas of one streamed call (a :class:`~rafa_async.llm.ChatStream`).

    Iteration reads the body chunk by chunk in the caller's task; it ends at
    the provider's end marker, after reading what little follows it so that
    the connection can go back to the pool (for at most ``DRAIN_GRACE``
    seconds: a server that keeps the body open after the marker costs its
    connection, never the answer).  A body that ends before the marker
    raises ``ConnectionLost``.
    """

    DRAIN_GRACE: ClassVar[float] = 0.5

    def __init__(
        self,
        http: HttpStream,
        decoder: StreamDecoder,
        errors: ErrorMapper,
        *,
        end_marker: str,
        started: float,
    ) -> None:
        self._chunks = http.iter_bytes()
        self._sse = SSEDecoder()
        self._decoder = decoder
        self._errors = errors
        self._end_marker = end_marker
        self._started = started
        self._pending: deque[str] = deque()
        self._response: ChatResponse | None = None
        self._closed = False
        self.time_to_first_token: float | None = None

    @property
    def response(self) -> ChatResponse:
        if self._response is None:
            raise RuntimeError("read the stream to its end before asking for its response")
        return self._response

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while not self._pending:
            if self._response is not None:
                raise StopAsyncIteration
            if self._closed:
                raise RuntimeError("the stream was read after its `async with` block ended")
            try:
                chunk = await anext(self._chunks, None)
            except _TRANSPORT_ERRORS as error:
                raise self._errors.transport(error) from error
            if chunk is None:
                raise ConnectionLost(
                    f"{self._errors.who}: the stream ended before {self._end_marker}; "
                    "the call may be retried"
                )
            self._feed(chunk)
            if self._decoder.done:
                await self._drain()
                self._response = self._decoder.response(self.time_to_first_token)
        return self._pending.popleft()

    def _feed(self, chunk: bytes) -> None:
        for event in self._sse.feed(chunk):
            delta = self._decoder.feed(event)
            if delta:
                if self.time_to_first_token is None:
                    self.time_to_first_token = anyio.current_time() - self._started
                self._pending.append(delta)
            if self._decoder.done:
                return

    async def _drain(self) -> None:
        # The answer is complete: whatever follows the marker is ignored, and a
        # connection failing (or left unfinished) now only costs the pool a connection.
        with anyio.move_on_after(self.DRAIN_GRACE):
            try:
                async for _ in self._chunks:
                    pass
            except _TRANSPORT_ERRORS:
                pass

    async def aclose(self) -> None:
        self._closed = True
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()


class HttpChatProvider(ABC):
    """An LLM behind an HTTP chat API: ``complete`` and ``stream`` (a
    :class:`~rafa_async.llm.StreamingLLM`).

    The key is read from ``os.environ[api_key_env]`` once, at construction;
    without one no auth header is sent (local servers need none).  It appears
    in no message, repr or log.  ``extra_headers`` are added to every request
    (names lower-cased; they win over the adapter's own), ``extra_body``
    fields to every body (a field the adapter sets itself is a ConfigError).
    ``send_intent`` adds the request's :class:`~rafa_async.llm.Intent` as
    ``rafa_intent`` (for ``rafa sim-serve``).  ``stream_completions`` makes
    ``complete`` stream too, so that every call records its time to first
    token.  The request's ``model`` is used unless it is ``"default"``; then
    the adapter's ``model``.

    An adapter given a ``transport`` leaves it to its owner; one that makes
    its own (:func:`~rafa_async.llm.default_transport`, of ``transport_kind``,
    with ``timeouts`` and a pool of ``max_connections``: size it to the calls
    in flight, or calls queue for a connection)
    closes it in :meth:`aclose` (or ``async with adapter:``).  ``timeouts``
    ``total`` bounds each attempt, as the ``Timeout`` middleware would, at no
    extra cost: the transport times every exchange anyway.
    """

    path: ClassVar[str]
    """The endpoint, relative to ``base_url`` (no leading slash)."""
    end_marker: ClassVar[str]
    request_type: ClassVar[type[msgspec.Struct]]
    stream_decoder: ClassVar[type[StreamDecoder]]

    def __init__(
        self,
        *,
        name: str,
        model: str,
        base_url: str,
        api_key_env: str | None,
        extra_headers: Mapping[str, str],
        extra_body: Mapping[str, object],
        transport: HttpTransport | None,
        timeouts: Timeouts | None,
        transport_kind: TransportKind,
        max_connections: int,
        send_intent: bool,
        stream_completions: bool,
    ) -> None:
        check_base_url(base_url, f"{name} base_url")
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.send_intent = send_intent
        self.stream_completions = stream_completions
        key = os.environ.get(api_key_env) if api_key_env else None
        self._errors = ErrorMapper(
            name=name, base_url=self.base_url, model=model, api_key_env=api_key_env, key=key
        )
        # A URL library's join keeps the base's path (``/v1``) with or without
        # a trailing slash; ``path`` is relative to it.
        self._url = str(URL(self.base_url) / self.path)
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "user-agent": f"rafa-async/{__version__}",
            **self._auth_headers(key or None),
        }
        headers.update((header.lower(), value) for header, value in extra_headers.items())
        self._headers = headers
        self._stream_headers = {**headers, "accept": "text/event-stream"}
        self._extra_body = self._encode_extra(extra_body)
        self._transport = transport
        self._owns_transport = transport is None
        self._timeouts = timeouts
        self._transport_kind: TransportKind = transport_kind
        self._max_connections = max_connections
        self.bounds_each_attempt = (
            transport is None and timeouts is not None and timeouts.total is not None
        )
        """Whether the adapter's own transport bounds each attempt (``timeouts.total``)."""

    @property
    def identity(self) -> str:
        """Names this provider and model in cache keys and cassette headers
        (never a credential)."""
        return http_identity(self.name, self.model, self.base_url)

    def __repr__(self) -> str:
        key = "set" if self._errors.has_key else "absent"
        return (
            f"{type(self).__name__}(name={self.name!r}, model={self.model!r}, "
            f"base_url={self.base_url!r}, api_key_env={self.api_key_env!r} ({key}))"
        )

    # -- what a provider defines ---------------------------------------------------

    @abstractmethod
    def _auth_headers(self, key: str | None) -> dict[str, str]:
        """Headers that authenticate (none without a key) and version the API."""

    @abstractmethod
    def _body(self, request: ChatRequest, model: str, *, stream: bool) -> msgspec.Struct:
        """The request body; ``request_type``'s fields are the ones it may set."""

    @abstractmethod
    def _decode(self, body: bytes, request: ChatRequest) -> ChatResponse:
        """A whole (non-streamed) response; raises ``msgspec.DecodeError`` or
        ``MalformedResponse``."""

    # -- the calls -------------------------------------------------------------------

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """One completion.  Cancellable at any await; see the module docstring."""
        if self.stream_completions:
            async with self.stream(request) as stream:
                async for _ in stream:
                    pass
            return stream.response
        http_request = self._http_request(request, stream=False)
        try:
            response = await self._get_transport().request(http_request)
        except _TRANSPORT_ERRORS as error:
            raise self._errors.transport(error) from error
        if not 200 <= response.status < 300:
            raise self._status_error(response.status, response.headers, response.body)
        try:
            return self._decode(response.body, request)
        except msgspec.DecodeError as error:
            raise self._errors.malformed("response", error) from error

    def stream(self, request: ChatRequest) -> AbstractAsyncContextManager[HttpChatStream]:
        """Stream one completion::

            async with llm.stream(request) as stream:
                async for delta in stream:
                    ...
            stream.response  # text, usage, time_to_first_token

        The context is entered once the response's status and headers are in
        (an HTTP error is raised there).  Leaving it early, or a cancellation,
        closes the connection.
        """
        return self._open_stream(request)

    @asynccontextmanager
    async def _open_stream(self, request: ChatRequest) -> AsyncIterator[HttpChatStream]:
        http_request = self._http_request(request, stream=True)
        started = anyio.current_time()
        async with AsyncExitStack() as stack:
            try:
                http = await stack.enter_async_context(self._get_transport().stream(http_request))
                error_body = None if 200 <= http.status < 300 else await http.read()
            except _TRANSPORT_ERRORS as error:
                raise self._errors.transport(error) from error
            if error_body is not None:
                raise self._status_error(http.status, http.headers, error_body)
            if http.headers.get("content-type", "").startswith("application/json"):
                raise MalformedResponse(
                    f"{self._errors.who} answered a streaming request with JSON, not "
                    "server-sent events: it may not support streaming; use "
                    "stream_completions=False"
                )
            stream = HttpChatStream(
                http,
                self.stream_decoder(request, self.model_for(request), self._errors),
                self._errors,
                end_marker=self.end_marker,
                started=started,
            )
            stack.push_async_callback(stream.aclose)
            yield stream

    # -- lifetime --------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the transport if this adapter made it."""
        if self._owns_transport and self._transport is not None:
            transport, self._transport = self._transport, None
            await transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- helpers ---------------------------------------------------------------------

    def _get_transport(self) -> HttpTransport:
        # Made lazily, inside the event loop: which transport fits depends on it.
        if self._transport is None:
            self._transport = default_transport(
                kind=self._transport_kind,
                timeouts=self._timeouts,
                max_connections_per_origin=self._max_connections,
            )
        return self._transport

    def model_for(self, request: ChatRequest) -> str:
        return self.model if request.model == "default" else request.model

    def _http_request(self, request: ChatRequest, *, stream: bool) -> HttpRequest:
        body = ENCODER.encode(self._body(request, self.model_for(request), stream=stream))
        if self._extra_body:
            body = body[:-1] + self._extra_body + b"}"
        headers = self._stream_headers if stream else self._headers
        return HttpRequest(method="POST", url=self._url, headers=headers, body=body)

    def _encode_extra(self, extra_body: Mapping[str, object]) -> bytes:
        """``extra_body`` as JSON members to splice into every body (``,"k":v...``)."""
        owned = {field.encode_name for field in msgspec.structs.fields(self.request_type)}
        clash = sorted(owned.intersection(extra_body))
        if clash:
            raise ConfigError(
                f"{self._errors.who}: extra_body sets {', '.join(clash)}, which the adapter "
                "sets from each request; set it on the ChatRequest or the adapter instead"
            )
        if not extra_body:
            return b""
        try:
            members = ENCODER.encode(dict(extra_body))[1:-1]
        except (TypeError, msgspec.EncodeError) as error:
            raise ConfigError(
                f"{self._errors.who}: extra_body cannot be sent as JSON ({error})"
            ) from error
        return b"," + members

    def _status_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        error = self._errors.for_status(status, ServerError.from_body(body), headers)
        log.debug(
            "llm.http_error",
            provider=self.name,
            status=status,
            error=type(error).__name__,
            retryable=error.retryable,
        )
        return error
