"""A scriptable HTTP/1.1 server for tests, on trio and asyncio alike.

It runs in the test's own event loop (an anyio TCP listener on 127.0.0.1,
port 0, speaking HTTP/1.1 through h11), so virtual time applies to it: a
reply's delays are ``anyio.sleep`` on the test's clock.  aiohttp's
``aiohttp.test_utils.TestServer`` does the same for asyncio-only tests; this
one exists because aiohttp cannot run on trio.

Each request goes to an async handler, which answers through a :class:`Reply` (a
:class:`BaseReply`: the body shapes over start/write/end, which fake_providers'
aiohttp.web reply shares)::

    async def handler(request: ServerRequest, reply: Reply) -> None:
        if request.path == "/v1/models":
            await reply.json(200, {"data": []})
        else:
            await reply.sse([{"delta": "hi"}, "[DONE]"], delay=0.5)

    async with serve(handler) as server:
        ...  # requests to server.url; server.requests, server.connections_opened

Faults: ``reply.stall()`` never answers (until the client hangs up);
``reply.pause(s)`` waits ``s`` seconds, ending the handler if the client hangs
up meanwhile; ``reply.drop()`` closes the TCP connection at once (mid-body
when the body was started with ``end=False``, or after a complete reply to
simulate a server closing an idle keep-alive connection); ``reply.raw(b"...")``
writes bytes that are not HTTP.
``serve(handler, idle_timeout=s)`` closes connections idle for ``s`` seconds.
A handler that returns without replying gets a 500 with that complaint; an
exception in a handler fails the test (it propagates out of ``serve``).
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import h11
import msgspec

from rafa_async.llm import SSEEvent

Headers = Mapping[str, str] | Sequence[tuple[str, str]]  # pairs may repeat a name


def header_pairs(headers: Headers | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


class ServerRequest(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    target: str
    headers: dict[str, str]  # names lower-case
    body: bytes
    connection: int  # which TCP connection (1, 2, ... in order of accept)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


class _Dropped(Exception):
    """The handler closed the connection."""


class BaseReply(ABC):
    """How a handler answers, whatever server it runs in: every body shape
    (``send``, ``json``, ``text``, ``chunks``, ``sse``) written through
    ``start``, ``write`` and ``end``, which a server's reply implements with
    the faults (``raw``, ``drop``, ``stall``, ``pause``)."""

    async def start(
        self,
        status: int = 200,
        *,
        headers: Headers | None = None,
        content_length: int | None = None,
    ) -> None:
        """Send the status line and headers; the body follows with ``write``
        and ``end``.  Without ``content_length`` the body is chunked."""
        await self._head(status, header_pairs(headers), content_length)

    @abstractmethod
    async def _head(
        self, status: int, fields: list[tuple[str, str]], content_length: int | None
    ) -> None: ...

    @abstractmethod
    async def write(self, data: bytes) -> None: ...

    @abstractmethod
    async def end(self) -> None: ...

    @abstractmethod
    async def raw(self, data: bytes) -> None: ...

    @abstractmethod
    async def drop(self) -> None: ...

    @abstractmethod
    async def stall(self) -> None: ...

    @abstractmethod
    async def pause(self, seconds: float) -> None: ...

    async def send(
        self, status: int = 200, body: bytes = b"", *, headers: Headers | None = None
    ) -> None:
        """A complete response with a Content-Length."""
        await self.start(status, headers=headers, content_length=len(body))
        await self.write(body)
        await self.end()

    async def json(self, status: int, obj: object, *, headers: Headers | None = None) -> None:
        merged = [("content-type", "application/json"), *header_pairs(headers)]
        await self.send(status, msgspec.json.encode(obj), headers=merged)

    async def text(self, status: int, text: str, *, headers: Headers | None = None) -> None:
        merged = [("content-type", "text/plain; charset=utf-8"), *header_pairs(headers)]
        await self.send(status, text.encode(), headers=merged)

    async def chunks(
        self,
        chunks: Iterable[bytes],
        *,
        status: int = 200,
        headers: Headers | None = None,
        delay: float = 0.0,
        end: bool = True,
    ) -> None:
        """A chunked body, sleeping ``delay`` (virtual) seconds before each
        chunk.  ``end=False`` leaves the body open (e.g. to ``drop()`` it)."""
        await self.start(status, headers=headers)
        for chunk in chunks:
            if delay:
                await anyio.sleep(delay)
            await self.write(chunk)
        if end:
            await self.end()

    async def sse(
        self,
        events: Iterable[SSEEvent | str | bytes | object],
        *,
        status: int = 200,
        headers: Headers | None = None,
        delay: float = 0.0,
        end: bool = True,
    ) -> None:
        """A ``text/event-stream``, one chunk per event.  An event is an
        :class:`SSEEvent`, a ``str`` (the data), ``bytes`` (sent as they are,
        e.g. ``b": keep-alive\\n\\n"``), or any other object (sent as its JSON)."""
        merged = [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            *header_pairs(headers),
        ]
        await self.chunks(
            (_sse_bytes(event) for event in events),
            status=status,
            headers=merged,
            delay=delay,
            end=end,
        )


class Reply(BaseReply):
    """A reply on this server's h11 connection.  Every method sends on the
    request's connection; after ``drop()`` nothing more can be sent."""

    def __init__(self, stream: anyio.abc.ByteStream, connection: h11.Connection) -> None:
        self._stream = stream
        self._h11 = connection
        self.started = False
        self.finished = False
        self.dropped = False

    async def _head(
        self, status: int, fields: list[tuple[str, str]], content_length: int | None
    ) -> None:
        if content_length is not None:
            fields.append(("content-length", str(content_length)))
        else:
            fields.append(("transfer-encoding", "chunked"))
        self.started = True
        await self._send(h11.Response(status_code=status, headers=fields))

    async def write(self, data: bytes) -> None:
        if data:
            await self._send(h11.Data(data=data))

    async def end(self) -> None:
        await self._send(h11.EndOfMessage())
        self.finished = True

    async def raw(self, data: bytes) -> None:
        """Bytes on the wire as they are, outside HTTP framing (garbage)."""
        self.started = True
        await self._stream.send(data)

    async def drop(self) -> None:
        """Close the connection now, whatever was sent, and end the handler
        (this raises; ``serve`` expects it)."""
        self.dropped = True
        await self._stream.aclose()
        raise _Dropped

    async def stall(self) -> None:
        """Never answer; the handler ends when the client hangs up (or the
        server shuts down), so ``open_connections`` shows the client's close."""
        await self.pause(math.inf)

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (virtual) while watching the connection, as a real
        server notices a client leaving: if it hangs up meanwhile, the handler
        ends at once (as after ``drop``), so ``open_connections`` shows the
        close without waiting for the next write to fail."""
        hung_up = False
        with anyio.move_on_after(seconds):
            try:
                while True:
                    # A client does not send while it waits for the response;
                    # whatever comes is kept for the next request all the same.
                    self._h11.receive_data(await self._stream.receive())
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                hung_up = True
        if hung_up:
            self.dropped = True
            raise _Dropped

    async def _send(self, event: h11.Event) -> None:
        data = self._h11.send(event)
        if data:
            await self._stream.send(data)


def _sse_bytes(event: SSEEvent | str | bytes | object) -> bytes:
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return SSEEvent(event).encode()
    if isinstance(event, SSEEvent):
        return event.encode()
    return SSEEvent(msgspec.json.encode(event).decode()).encode()


Handler = Callable[[ServerRequest, Reply], Awaitable[None]]


class LocalServer:
    """What ``serve`` yields: the base URL and what the server has seen."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.requests: list[ServerRequest] = []
        self.connections_opened = 0
        self.open_connections = 0


@asynccontextmanager
async def serve(
    handler: Handler, *, idle_timeout: float | None = None
) -> AsyncIterator[LocalServer]:
    """Serve ``handler`` on 127.0.0.1 (a free port) until the block exits;
    then every connection and stalled handler is cancelled."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    server = LocalServer(listener.extra(anyio.abc.SocketAttribute.local_port))
    numbers = itertools.count(1)

    async def connection(stream: anyio.abc.SocketStream) -> None:
        server.connections_opened += 1
        server.open_connections += 1
        try:
            async with stream:
                await _serve_connection(stream, next(numbers), handler, server, idle_timeout)
        except (_Dropped, anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the handler dropped it, or the client went away
        finally:
            server.open_connections -= 1

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, connection, tg)
        yield server
        tg.cancel_scope.cancel()


async def _serve_connection(
    stream: anyio.abc.SocketStream,
    number: int,
    handler: Handler,
    server: LocalServer,
    idle_timeout: float | None,
) -> None:
    state = h11.Connection(h11.SERVER)
    while True:
        request = None
        with anyio.move_on_after(idle_timeout if idle_timeout is not None else float("inf")):
            request = await _read_request(stream, state, number)
        if request is None:
            return
        server.requests.append(request)
        reply = Reply(stream, state)
        await handler(request, reply)
        if not reply.started:
            await reply.text(500, "test handler returned without replying")
        elif not reply.finished:
            return  # a raw or unfinished reply: close the connection
        if state.our_state is h11.MUST_CLOSE or state.their_state is h11.MUST_CLOSE:
            return
        state.start_next_cycle()


async def _read_request(
    stream: anyio.abc.SocketStream, state: h11.Connection, number: int
) -> ServerRequest | None:
    """The next request on the connection, or None if the client closed it."""
    request: h11.Request | None = None
    body = bytearray()
    while True:
        try:
            event = state.next_event()
        except h11.RemoteProtocolError:
            return None
        if event is h11.NEED_DATA:
            try:
                state.receive_data(await stream.receive())
            except anyio.EndOfStream:
                state.receive_data(b"")
        elif isinstance(event, h11.ConnectionClosed):
            return None
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return ServerRequest(
                method=request.method.decode(),
                target=request.target.decode(),
                headers={k.decode(): v.decode() for k, v in request.headers},
                body=bytes(body),
                connection=number,
            )
