"""The small HTTP protocol the provider adapters speak: requests, responses, transports.

Adapters (OpenAI-compatible, Anthropic) build bytes and read bytes; they never
import an HTTP library.  A transport moves the bytes:

- ``AiohttpTransport`` when the host loop is asyncio;
- ``H11Transport`` (an anyio-native HTTP/1.1 connection pool on h11) on trio,
  and anywhere an anyio-only client is wanted;
- ``MockTransport`` in tests, answering from a handler function.

Every transport: pools keep-alive connections per origin; honours
:class:`Timeouts` (connect, read = longest silence between bytes, total);
raises the typed errors of :mod:`rafa_async._errors` (``ConnectFailed``,
``ConnectionLost``, ``LLMTimeout``), never a library's own exception; and
``aclose()`` releases every connection (no "unclosed session" warnings).
Header names in responses are lower-case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import msgspec


class Timeouts(msgspec.Struct, frozen=True, kw_only=True):
    """Seconds; ``None`` means no limit.

    connect: to open a TCP connection.  read: the longest silence allowed
    between two chunks of the response (so a slow stream that keeps sending
    never times out, a stalled one does).  total: the whole exchange, from
    sending the request to the last byte.
    """

    connect: float | None = 10.0
    read: float | None = 120.0
    total: float | None = None


class HttpRequest(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    url: str
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: bytes = b""


class HttpResponse(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: bytes = b""


class HttpStream(Protocol):
    """A response whose body arrives in chunks (for server-sent events)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive; raises ``ConnectionLost`` if the
        connection ends before the body does."""
        ...

    async def read(self) -> bytes:
        """The rest of the body (e.g. an error's JSON)."""
        ...


class HttpTransport(Protocol):
    async def request(self, request: HttpRequest) -> HttpResponse:
        """Send ``request`` and read the whole response.  Cancellable; a
        cancelled exchange's connection is closed, not returned to the pool."""
        ...

    def stream(self, request: HttpRequest) -> AbstractAsyncContextManager[HttpStream]:
        """Send ``request``; the context yields once the status and headers
        are in.  Leaving the context early closes the connection."""
        ...

    async def aclose(self) -> None: ...
