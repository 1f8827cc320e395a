"""A transport for tests: answers every request from a handler function, no network."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from rafa_async.llm.http._models import HttpRequest, HttpResponse, HttpStream

Handler = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]


class _BufferedStream:
    def __init__(self, response: HttpResponse, chunks: tuple[bytes, ...]) -> None:
        self.status = response.status
        self.headers = response.headers
        self._chunks = chunks

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    async def read(self) -> bytes:
        return b"".join(self._chunks)


class MockTransport:
    """Answers every request from ``handler`` (sync or async), no network.

    ``stream`` delivers the handler's body in ``chunk_size`` pieces, so SSE
    decoding across chunk boundaries is exercised.  ``requests`` keeps every
    request seen, for assertions.
    """

    def __init__(self, handler: Handler, *, chunk_size: int = 7) -> None:
        self._handler = handler
        self._chunk_size = chunk_size
        self.requests: list[HttpRequest] = []
        self.closed = False

    async def request(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        response = self._handler(request)
        if inspect.isawaitable(response):
            response = await response
        return response

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[HttpStream]:
        return self._stream(request)

    @asynccontextmanager
    async def _stream(self, request: HttpRequest) -> AsyncIterator[HttpStream]:
        response = await self.request(request)
        body, size = response.body, self._chunk_size
        chunks = tuple(body[i : i + size] for i in range(0, len(body), size))
        yield _BufferedStream(response, chunks)

    async def aclose(self) -> None:
        self.closed = True
