"""Choosing an HTTP transport for the running event loop."""

from __future__ import annotations

import ssl
from typing import Literal

import sniffio

from rafa_async._errors import ConfigError
from rafa_async.llm.http._aiohttp import AiohttpTransport
from rafa_async.llm.http._h11 import H11Transport
from rafa_async.llm.http._models import HttpTransport, Timeouts

TransportKind = Literal["auto", "aiohttp", "h11"]


def default_transport(
    *,
    kind: TransportKind = "auto",
    timeouts: Timeouts | None = None,
    max_connections_per_origin: int = 64,
    keepalive_expiry: float | None = 5.0,
    ssl_context: ssl.SSLContext | None = None,
) -> HttpTransport:
    """The fastest transport for the event loop this is called from.

    ``auto``: :class:`AiohttpTransport` on asyncio; :class:`H11Transport` on
    trio, and when called outside any event loop (it runs on both).
    ``aiohttp`` or ``h11`` force one.  The options mean the same for both.
    """
    if kind == "auto":
        try:
            library = sniffio.current_async_library()
        except sniffio.AsyncLibraryNotFoundError:
            library = None
        kind = "aiohttp" if library == "asyncio" else "h11"
    if kind not in ("aiohttp", "h11"):
        raise ConfigError(f"unknown HTTP transport {kind!r}: expected 'auto', 'aiohttp' or 'h11'")
    transport = AiohttpTransport if kind == "aiohttp" else H11Transport
    return transport(
        timeouts=timeouts if timeouts is not None else Timeouts(),
        max_connections_per_origin=max_connections_per_origin,
        keepalive_expiry=keepalive_expiry,
        ssl_context=ssl_context,
    )
