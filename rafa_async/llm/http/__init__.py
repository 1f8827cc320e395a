"""HTTP transports: how the provider adapters move their bytes.

Adapters build requests and read responses as plain data
(:class:`HttpRequest`, :class:`HttpResponse`, :class:`HttpStream`) and
never import an HTTP library.  A :class:`HttpTransport` moves the bytes:
:class:`AiohttpTransport` on asyncio, :class:`H11Transport` (anyio-native)
on trio, :class:`MockTransport` in tests; :func:`default_transport` picks
one for the running event loop.  :class:`SSEDecoder` turns a streamed body
into server-sent events.
"""

from rafa_async.llm.http._aiohttp import AiohttpTransport as AiohttpTransport
from rafa_async.llm.http._h11 import H11Transport as H11Transport
from rafa_async.llm.http._mock import MockTransport as MockTransport
from rafa_async.llm.http._models import (
    HttpRequest as HttpRequest,
    HttpResponse as HttpResponse,
    HttpStream as HttpStream,
    HttpTransport as HttpTransport,
    Timeouts as Timeouts,
)
from rafa_async.llm.http._select import (
    TransportKind as TransportKind,
    default_transport as default_transport,
)
from rafa_async.llm.http._sse import (
    SSEDecoder as SSEDecoder,
    SSEEvent as SSEEvent,
    aiter_sse as aiter_sse,
)

__all__ = [
    "AiohttpTransport",
    "H11Transport",
    "HttpRequest",
    "HttpResponse",
    "HttpStream",
    "HttpTransport",
    "MockTransport",
    "SSEDecoder",
    "SSEEvent",
    "Timeouts",
    "TransportKind",
    "aiter_sse",
    "default_transport",
]
