"""What both HTTP transports share: response-header folding and the wording
of their typed errors, so a failure reads the same on trio and on asyncio."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from rafa_async._errors import (
    ConfigError,
    ConnectFailed,
    ConnectionLost,
    LLMError,
    LLMTimeout,
    ProviderError,
)
from rafa_async.llm.http._models import HttpRequest, Timeouts

DEFAULT_TIMEOUTS = Timeouts()


class PooledTransport:
    """The options both transports take, meaning the same on each.

    ``timeouts``: connect (TCP and TLS handshake), read (the longest silence
    while waiting for bytes), total (the whole exchange, waiting for a pooled
    connection included).  ``max_connections_per_origin``: requests beyond it
    wait, first come first served.  ``keepalive_expiry``: seconds an idle
    connection is kept for reuse.  ``ssl_context``: for https (default: the
    system's trust store).
    """

    def __init__(
        self,
        *,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        max_connections_per_origin: int = 64,
        keepalive_expiry: float | None = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections_per_origin < 1:
            raise ConfigError(
                f"max_connections_per_origin must be >= 1, got {max_connections_per_origin}"
            )
        self.timeouts = timeouts
        self._limit = max_connections_per_origin
        self._keepalive_expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._closed = False
        self._init_state()

    def _init_state(self) -> None:
        """Each transport's own pool state (called by ``__init__``)."""


def fold_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; a repeated header's values joined by ", "
    (RFC 9110 5.3)."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def decode_headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as h11 gives them (bytes, names lower-case) as ``str``."""
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
    if len(headers) == len(raw):
        return headers
    return fold_headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)


@functools.lru_cache(maxsize=256)
def origin(url: str) -> str:
    """``host:port`` of ``url``, for messages."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _call(request: HttpRequest) -> str:
    return f"{request.method} {request.url}"


def connect_failed(origin: str, reason: str) -> ConnectFailed:
    return ConnectFailed(
        f"could not connect to {origin}: {reason}; is the server running and the base URL right?"
    )


def connect_timed_out(origin: str, timeouts: Timeouts) -> ConnectFailed:
    return ConnectFailed(
        f"could not connect to {origin} within {timeouts.connect} s (connect timeout); "
        "is the server up and reachable?"
    )


def read_timed_out(origin: str, request: HttpRequest, timeouts: Timeouts) -> LLMTimeout:
    return LLMTimeout(
        f"{origin} sent nothing for {timeouts.read} s (read timeout) during {_call(request)}; "
        "the server may be stuck or overloaded"
    )


def total_timed_out(request: HttpRequest, timeouts: Timeouts) -> LLMTimeout:
    return LLMTimeout(
        f"{_call(request)} took longer than its total timeout of {timeouts.total} s; "
        "raise Timeouts.total or check the server's load"
    )


def connection_lost(origin: str, request: HttpRequest, what: str) -> ConnectionLost:
    return ConnectionLost(
        f"{origin} {what} during {_call(request)}; the server may have crashed or "
        "restarted: retrying usually helps"
    )


def malformed(origin: str, request: HttpRequest, reason: str) -> ProviderError:
    return ProviderError(
        f"{origin} sent a malformed HTTP response to {_call(request)} ({reason}); is the "
        "base URL pointing at an HTTP server?",
        retryable=False,
    )


def transport_closed(transport: str) -> LLMError:
    return LLMError(f"this {transport} is closed (aclose() was called); create a new transport")


def closed_in_flight(transport: str, request: HttpRequest) -> LLMError:
    return LLMError(f"the {transport} was closed while {_call(request)} was in flight")
