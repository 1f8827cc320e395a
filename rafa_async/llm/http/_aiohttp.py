"""The HTTP transport for asyncio hosts: one lazily created
``aiohttp.ClientSession`` with a keep-alive ``TCPConnector``.

aiohttp runs only on asyncio; on trio every call raises ``ConfigError``
(use :class:`H11Transport`, or :func:`default_transport`, which picks).  The
session belongs to the event loop it was created on.  aiohttp's exceptions
are translated to the typed errors every transport raises (see ``_pool``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import NoReturn

import aiohttp
import aiohttp.http_exceptions
import sniffio

from rafa_async._errors import ConfigError
from rafa_async.llm.http import _pool
from rafa_async.llm.http._models import HttpRequest, HttpResponse

# What aiohttp raises for a failed exchange.  Its pure-Python parser (used
# where no compiled wheel exists) lets a body's framing error through as an
# HttpProcessingError, which is not a ClientError.
_AIOHTTP_ERRORS = (aiohttp.ClientError, aiohttp.http_exceptions.HttpProcessingError, TimeoutError)


class AiohttpTransport(_pool.PooledTransport):
    """HTTP over aiohttp (asyncio only), pooled per origin.

    Options as for every transport (see ``PooledTransport``): ``timeouts``
    map to aiohttp's ``sock_connect``, ``sock_read`` and ``total``;
    ``max_connections_per_origin`` to the connector's ``limit_per_host``.
    Redirects are not followed (as with :class:`H11Transport`); a compressed
    body is decompressed by aiohttp.
    """

    def _init_state(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def request(self, request: HttpRequest) -> HttpResponse:
        session = self._client()
        try:
            async with self._send(session, request) as response:
                unwatch = _fail_body_when_cut(response)
                try:
                    body = await response.read()
                finally:
                    unwatch()
                headers = _pool.fold_headers(response.headers.items())
                return HttpResponse(status=response.status, headers=headers, body=body)
        except _AIOHTTP_ERRORS as exc:
            self._translate(exc, request)

    @asynccontextmanager
    async def stream(self, request: HttpRequest) -> AsyncIterator[_AiohttpStream]:
        """Leaving before the body's end, or by an exception, closes the
        connection; a body read to its end returns it to the pool."""
        session = self._client()
        try:
            response = await self._send(session, request)
        except _AIOHTTP_ERRORS as exc:
            self._translate(exc, request)
        unwatch = _fail_body_when_cut(response)
        read_to_end = False
        try:
            yield _AiohttpStream(self, request, response)
            read_to_end = response.content.at_eof()
        finally:
            unwatch()
            if read_to_end:
                response.release()
            else:
                response.close()

    async def aclose(self) -> None:
        """Close the session and every connection: an exchange still running,
        and any later request, fails with ``LLMError`` saying so."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._closed:
            raise _pool.transport_closed("AiohttpTransport")
        library = sniffio.current_async_library()
        if library != "asyncio":
            raise ConfigError(
                f"AiohttpTransport needs asyncio, but this code runs on {library}; use "
                "H11Transport, or default_transport() which picks the right one"
            )
        loop = asyncio.get_running_loop()
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=0,
                limit_per_host=self._limit,
                keepalive_timeout=self._keepalive_expiry,
                ssl=self._ssl_context if self._ssl_context is not None else True,
            )
            timeout = aiohttp.ClientTimeout(
                total=self.timeouts.total,
                sock_connect=self.timeouts.connect,
                sock_read=self.timeouts.read,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, trust_env=False
            )
            self._loop = loop
        elif self._loop is not loop:
            raise ConfigError(
                "this AiohttpTransport belongs to another event loop (the one it was first "
                "used on); create one transport per event loop"
            )
        return self._session

    def _send(
        self, session: aiohttp.ClientSession, request: HttpRequest
    ) -> aiohttp.client._RequestContextManager:
        return session.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body or None,
            allow_redirects=False,
        )

    def _translate(self, exc: BaseException, request: HttpRequest) -> NoReturn:
        """Raise the typed error for an aiohttp failure."""
        if self._closed:
            raise _pool.closed_in_flight("AiohttpTransport", request) from exc
        origin = _pool.origin(request.url)
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            raise _pool.connect_timed_out(origin, self.timeouts) from exc
        if isinstance(exc, aiohttp.SocketTimeoutError):
            raise _pool.read_timed_out(origin, request, self.timeouts) from exc
        if isinstance(exc, TimeoutError):
            raise _pool.total_timed_out(request, self.timeouts) from exc
        if isinstance(exc, aiohttp.ClientConnectorError):
            where = f"{exc.host}:{exc.port}"
            raise _pool.connect_failed(where, str(exc.os_error) or type(exc.os_error).__name__)
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            raise _pool.connection_lost(origin, request, "closed the connection") from exc
        if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
            raise _pool.connection_lost(origin, request, f"cut the response short ({exc})")
        if isinstance(exc, aiohttp.http_exceptions.HttpProcessingError):
            raise _pool.malformed(origin, request, exc.message or type(exc).__name__) from exc
        if isinstance(exc, aiohttp.InvalidURL):
            raise ConfigError(f"cannot send a request to {request.url!r}: {exc}") from None
        raise _pool.malformed(origin, request, str(exc)) from exc


class _MalformedBody(aiohttp.ClientError):
    """The server broke HTTP's framing mid-body (see ``_fail_body_when_cut``)."""


def _nothing() -> None:
    pass


def _retrieve(closed: asyncio.Future[None]) -> None:
    if not closed.cancelled():
        closed.exception()  # so an unclean close is never logged as unretrieved


def _fail_body_when_cut(response: aiohttp.ClientResponse) -> Callable[[], None]:
    """Fail ``response``'s body if its connection closes before the body's
    end; returns the function that stops watching (call it when done).

    aiohttp's C parser, on a body that breaks HTTP framing (a chunk size
    that is not hex), closes the connection but neither ends nor fails the
    body, and its read timeout is dropped with it: a read would wait forever.
    """
    connection = response.connection
    protocol = connection.protocol if connection is not None else None
    closed = protocol.closed if protocol is not None else None
    if protocol is None or closed is None:
        return _nothing
    content = response.content

    def fail(_: asyncio.Future[None]) -> None:
        if content.is_eof() or content.exception() is not None:
            return
        error = protocol.exception()
        if isinstance(error, aiohttp.http_exceptions.HttpProcessingError):
            content.set_exception(_MalformedBody(error.message))
        else:
            content.set_exception(aiohttp.ClientPayloadError("the connection closed mid-body"))

    # Exactly one _retrieve per connection, however many responses it carries.
    closed.remove_done_callback(_retrieve)
    closed.add_done_callback(_retrieve)
    closed.add_done_callback(fail)

    def unwatch() -> None:
        closed.remove_done_callback(fail)

    return unwatch


class _AiohttpStream:
    __slots__ = ("_request", "_response", "_transport", "headers", "status")

    def __init__(
        self,
        transport: AiohttpTransport,
        request: HttpRequest,
        response: aiohttp.ClientResponse,
    ) -> None:
        self._transport = transport
        self._request = request
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = _pool.fold_headers(response.headers.items())

    def iter_bytes(self) -> _AiohttpStream:
        return self

    def __aiter__(self) -> _AiohttpStream:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._response.content.readany()
        except _AIOHTTP_ERRORS as exc:
            self._transport._translate(exc, self._request)
        if not chunk:
            raise StopAsyncIteration
        return chunk

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except _AIOHTTP_ERRORS as exc:
            self._transport._translate(exc, self._request)
