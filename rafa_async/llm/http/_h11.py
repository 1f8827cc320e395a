"""An anyio-native HTTP/1.1 client: a keep-alive connection pool over
``anyio.connect_tcp``, with h11 doing the protocol.

Why not httpx: its pool rescans every connection for every queued request, so
64 concurrent requests cost milliseconds of CPU each.  Here a request takes a
permit from a FIFO semaphore per origin (waking a waiter is O(1)), then the
most recently used idle connection (LIFO: warm, least likely to have been
closed by the server), or opens one.  Connections are never more than
permits, so the pool is bounded by ``max_connections_per_origin``.

Cancellation and errors: a connection whose exchange did not end cleanly
(cancelled, timed out, failed, or a stream left before its end) is closed,
never pooled.  A request that finds a pooled connection closed by the server
(EOF or reset before any byte of the response) is sent again, once, on a new
connection: what every HTTP client does, since servers close idle keep-alive
connections at will.
"""

from __future__ import annotations

import functools
import math
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import NoReturn
from urllib.parse import urlsplit

import anyio
import anyio.abc
import h11

from rafa_async._errors import ConfigError
from rafa_async.llm.http import _pool
from rafa_async.llm.http._models import HttpRequest, HttpResponse

_RECEIVE_SIZE = 65536
_DEFAULT_PORTS = {"http": 80, "https": 443}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _Target:
    """A URL split once: where to connect and what to put in the request line."""

    __slots__ = ("host", "host_header", "origin", "port", "target", "tls")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ConfigError(
                f"cannot send a request to {url!r}: expected an http:// or https:// URL"
            )
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise ConfigError(f"bad port in URL {url!r}: {exc}") from None
        self.host = parts.hostname
        self.port = port
        self.tls = parts.scheme == "https"
        self.origin = f"{self.host}:{port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if port == _DEFAULT_PORTS[parts.scheme] else f"{host}:{port}"
        target = parts.path or "/"
        self.target = f"{target}?{parts.query}" if parts.query else target


@functools.lru_cache(maxsize=256)
def _split(url: str) -> _Target:
    return _Target(url)


_END = h11.EndOfMessage()
_Head = tuple[h11.Request, bytes]


@functools.lru_cache(maxsize=256)
def _head(method: str, url: str, headers: tuple[tuple[str, str], ...]) -> _Head:
    """The request's h11 event and its head on the wire, validated by h11
    once per (method, URL, headers): an LLM client repeats them call after
    call, and h11's validation is most of a request's CPU.

    The event leaves out the body's length, so h11's state machine takes it
    with no body (``send(event)``, ``send(EndOfMessage())``); the bytes on
    the wire are h11's own head for the event, plus ``content-length`` and
    the body.  Everything h11 reads a response by (method, ``Connection``,
    ``Expect``, version) is in the event.
    """
    target = _split(url)
    pairs = [(name.lower(), value) for name, value in headers]
    names = {name for name, _ in pairs}
    if names & {"content-length", "transfer-encoding"}:
        raise ConfigError(
            f"do not set {sorted(names & {'content-length', 'transfer-encoding'})} on a "
            "request: the transport frames the body itself"
        )
    if "host" not in names:
        pairs.insert(0, ("host", target.host_header))
    try:
        event = h11.Request(method=method, target=target.target, headers=pairs)
        wire = h11.Connection(h11.CLIENT).send(event)
    except (h11.LocalProtocolError, UnicodeError) as exc:
        raise ConfigError(f"invalid HTTP request to {target.origin}: {exc}") from None
    assert wire is not None and wire.endswith(b"\r\n\r\n")
    return event, wire[:-2]


class _Stale(Exception):
    """A connection ended before the first byte of the response."""


class _Connection:
    __slots__ = ("h11", "idle_since", "stream")

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0


class _Pool:
    """The connections to one origin.  ``idle`` is a stack (most recent last)."""

    __slots__ = ("idle", "permits")

    def __init__(self, limit: int) -> None:
        self.idle: list[_Connection] = []
        self.permits = anyio.Semaphore(limit, fast_acquire=True)


class H11Transport(_pool.PooledTransport):
    """HTTP/1.1 over anyio streams (trio or asyncio), pooled per origin.

    Options as for every transport (see ``PooledTransport``); the read
    timeout also bounds sending the request.  Idle connections older than
    ``keepalive_expiry`` are closed rather than reused (servers commonly drop
    them after 5 to 75 s).
    """

    def _init_state(self) -> None:
        self._pools: dict[tuple[str, int, bool], _Pool] = {}
        self._busy: set[_Connection] = set()

    async def request(self, request: HttpRequest) -> HttpResponse:
        exchange = _Exchange(self, request)
        # One cancel scope for the whole exchange; its deadline moves with
        # each wait (see _Exchange).
        with anyio.CancelScope(deadline=exchange.read_deadline()) as exchange.scope:
            try:
                await exchange.open()
                body = await exchange.read_all()
            finally:
                await exchange.finish()
        if exchange.scope.cancelled_caught:
            exchange.timed_out()
        return HttpResponse(status=exchange.status, headers=exchange.headers, body=body)

    @asynccontextmanager
    async def stream(self, request: HttpRequest) -> AsyncIterator[_H11Stream]:
        """``async with transport.stream(request) as response``: leaving early
        (or by an exception) closes the connection instead of pooling it."""
        exchange = _Exchange(self, request)
        with anyio.CancelScope(deadline=exchange.read_deadline()) as exchange.scope:
            try:
                await exchange.open()
            except BaseException:
                await exchange.finish()
                raise
        if exchange.scope.cancelled_caught:
            exchange.timed_out()
        try:
            yield _H11Stream(exchange)
        finally:
            await exchange.finish()

    async def aclose(self) -> None:
        """Close every connection, idle or busy: an exchange still running, and
        any later request, fails with ``LLMError`` saying the transport is closed."""
        self._closed = True
        connections = [c for pool in self._pools.values() for c in pool.idle]
        connections.extend(self._busy)
        self._pools.clear()
        self._busy.clear()
        for connection in connections:
            await anyio.aclose_forcefully(connection.stream)

    def _check_open(self) -> None:
        if self._closed:
            raise _pool.transport_closed("H11Transport")

    def _pool(self, target: _Target) -> _Pool:
        self._check_open()
        key = (target.host, target.port, target.tls)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(self._limit)
        return pool

    async def _take_idle(self, pool: _Pool) -> _Connection | None:
        """The most recent idle connection if it is young enough, else None.
        The stack is ordered by age, so an expired top means all expired."""
        if not pool.idle:
            return None
        connection = pool.idle.pop()
        expiry = self._keepalive_expiry
        if expiry is not None and anyio.current_time() - connection.idle_since > expiry:
            expired = [connection, *pool.idle]
            pool.idle.clear()
            for old in expired:
                await anyio.aclose_forcefully(old.stream)
            return None
        self._busy.add(connection)
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
            self._ssl_context.set_alpn_protocols(["http/1.1"])
        return self._ssl_context

    def _keep(self, pool: _Pool, connection: _Connection) -> bool:
        """Pool ``connection`` if its exchange ended cleanly; False if it must
        be closed instead."""
        self._busy.discard(connection)
        state = connection.h11
        if self._closed or state.our_state is not h11.DONE or state.their_state is not h11.DONE:
            return False
        state.start_next_cycle()
        connection.idle_since = anyio.current_time()
        pool.idle.append(connection)
        return True


class _Exchange:
    """One request and its response on one pooled connection.

    ``open`` sends the request and reads the status and headers; then the
    body (``read_all``, or ``next_chunk`` until None, which hands the
    connection back to the pool at once); ``finish`` always, which pools the
    connection if the exchange ended cleanly and closes it otherwise.

    Timeouts: every wait runs inside ``scope``, entered by the caller with
    ``read_deadline()``; ``_arm`` moves its deadline before each further wait:
    total while waiting for a permit, connect (or total) while connecting,
    read (or total) for each wait for bytes.  When the scope catches its own
    cancellation, ``timed_out`` says which limit it was.  (One scope per
    exchange, armed without reading the clock twice, keeps a request cheap.)
    """

    __slots__ = (
        "_connection",
        "_deadline",
        "_eof",
        "_permit",
        "_phase",
        "_pool",
        "_read",
        "_rearm",
        "_received",
        "_request",
        "_target",
        "_transport",
        "headers",
        "scope",
        "status",
    )
    scope: anyio.CancelScope  # entered by the caller before open()

    def __init__(self, transport: H11Transport, request: HttpRequest) -> None:
        self._transport = transport
        self._request = request
        self._target = _split(request.url)
        self._pool = transport._pool(self._target)
        self._connection: _Connection | None = None
        self._permit = False
        self._received = False
        self._eof = False
        self._phase = "read"
        self._rearm = False
        timeouts = transport.timeouts
        self._read = timeouts.read
        total = timeouts.total
        self._deadline = math.inf if total is None else anyio.current_time() + total
        self.status = 0
        self.headers: Mapping[str, str] = {}

    def read_deadline(self) -> float:
        read = self._read
        return self._deadline if read is None else min(self._deadline, anyio.current_time() + read)

    def _arm(self, deadline: float) -> None:
        if self.scope.deadline != deadline:
            self.scope.deadline = deadline

    async def open(self) -> None:
        pool, transport = self._pool, self._transport
        try:
            pool.permits.acquire_nowait()
        except anyio.WouldBlock:
            self._phase = "permit"
            self._arm(self._deadline)
            await pool.permits.acquire()
            self._phase = "read"
            self._arm(self.read_deadline())
        self._permit = True
        transport._check_open()
        head = self._request_event()
        connection = await transport._take_idle(pool)
        if connection is not None:
            self._connection = connection
            try:
                return await self._send(head)
            except _Stale:
                self._connection = None
                transport._busy.discard(connection)
                await anyio.aclose_forcefully(connection.stream)
        await self._connect()
        try:
            return await self._send(head)
        except _Stale:
            self._lost("closed the connection before responding")

    async def _connect(self) -> None:
        """A new connection; fails with ``ConnectFailed`` (refused, unknown
        host, TLS failure; connect timeout via ``timed_out``)."""
        target, transport = self._target, self._transport
        timeout = transport.timeouts.connect
        self._phase = "connect"
        if timeout is not None:
            self._arm(min(self._deadline, anyio.current_time() + timeout))
        try:
            if target.tls:
                stream: anyio.abc.ByteStream = await anyio.connect_tcp(
                    target.host,
                    target.port,
                    ssl_context=transport._tls_context(),
                    tls_hostname=target.host,
                    tls_standard_compatible=False,
                )
            else:
                stream = await anyio.connect_tcp(target.host, target.port)
        except (OSError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            # A TLS handshake that fails ends in OSError (ssl.SSLError) or,
            # when the server hangs up, in anyio's EndOfStream.
            reason = str(exc) or f"{type(exc).__name__} during the TLS handshake"
            raise _pool.connect_failed(target.origin, reason) from exc
        self._phase = "read"
        self._arm(self.read_deadline())
        self._connection = connection = _Connection(stream)
        transport._busy.add(connection)

    def _request_event(self) -> _Head:
        request = self._request
        return _head(request.method, request.url, tuple(request.headers.items()))

    async def _send(self, head: _Head) -> None:
        """Send the request and read up to the end of the response headers.
        Raises ``_Stale`` if the connection ends before the first byte back."""
        assert self._connection is not None
        state, body = self._connection.h11, self._request.body
        event, prefix = head
        state.send(event)
        state.send(_END)
        if body or self._request.method in _BODY_METHODS:
            data = b"%scontent-length: %d\r\n\r\n%s" % (prefix, len(body), body)
        else:
            data = prefix + b"\r\n"
        self._rearm = False  # the deadline armed for sending covers the first wait
        try:
            await self._connection.stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._check_transport_open()
            raise _Stale from None
        # Nothing of the answer can be buffered yet: skip asking h11 first.
        state.receive_data(await self._receive())
        response = await self._next_event()
        while type(response) is h11.InformationalResponse:
            response = await self._next_event()
        if type(response) is not h11.Response:
            self._lost("ended the exchange without a response")
        self.status = response.status_code
        self.headers = _pool.decode_headers(response.headers)

    async def read_all(self) -> bytes:
        chunks = []
        while (chunk := await self._next_chunk()) is not None:
            chunks.append(chunk)
        return b"".join(chunks)

    async def next_chunk(self) -> bytes | bytearray | None:
        """``_next_chunk`` in a cancel scope of its own (for streams, whose
        chunks are read between the caller's own awaits)."""
        self._rearm = False
        with anyio.CancelScope(deadline=self.read_deadline()) as self.scope:
            chunk = await self._next_chunk()
        if self.scope.cancelled_caught:
            self.timed_out()
        return chunk

    async def _next_chunk(self) -> bytes | bytearray | None:
        """The next piece of the body, or None at its end (the connection then
        goes back to the pool)."""
        if self._connection is None:
            return None
        event = await self._next_event()
        if type(event) is h11.Data:
            return event.data
        if type(event) is h11.EndOfMessage:
            await self.finish()
            return None
        self._lost("ended the exchange before the body")

    async def _next_event(self) -> object:
        assert self._connection is not None
        state = self._connection.h11
        while True:
            try:
                event = state.next_event()
            except h11.RemoteProtocolError as exc:
                if self._eof:
                    self._lost(f"closed the connection mid-response ({exc})")
                self._malformed(exc)
            if event is h11.NEED_DATA:
                state.receive_data(await self._receive())
            else:
                return event

    async def _receive(self) -> bytes:
        assert self._connection is not None
        if self._rearm:
            self._arm(self.read_deadline())
        self._rearm = True
        try:
            data = await self._connection.stream.receive(_RECEIVE_SIZE)
        except anyio.EndOfStream:
            data = b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._check_transport_open()
            if not self._received:
                raise _Stale from None
            self._lost("reset the connection mid-response")
        if data:
            self._received = True
        elif not self._received:
            raise _Stale
        else:
            self._eof = True
        return data

    async def finish(self) -> None:
        """Pool the connection if the exchange ended cleanly, else close it;
        give the permit back.  Safe to call twice and when cancelled."""
        connection, self._connection = self._connection, None
        keep = connection is not None and self._transport._keep(self._pool, connection)
        if self._permit:
            self._permit = False
            self._pool.permits.release()
        if connection is not None and not keep:
            await anyio.aclose_forcefully(connection.stream)

    def timed_out(self) -> NoReturn:
        """Raise the error for a deadline that ``scope`` caught."""
        timeouts = self._transport.timeouts
        if anyio.current_time() >= self._deadline:
            raise _pool.total_timed_out(self._request, timeouts)
        if self._phase == "connect":
            raise _pool.connect_timed_out(self._target.origin, timeouts)
        raise _pool.read_timed_out(self._target.origin, self._request, timeouts)

    def _check_transport_open(self) -> None:
        if self._transport._closed:
            raise _pool.closed_in_flight("H11Transport", self._request)

    def _lost(self, what: str) -> NoReturn:
        raise _pool.connection_lost(self._target.origin, self._request, what)

    def _malformed(self, exc: Exception) -> NoReturn:
        raise _pool.malformed(self._target.origin, self._request, str(exc)) from None


class _H11Stream:
    __slots__ = ("_exchange", "headers", "status")

    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange
        self.status = exchange.status
        self.headers = exchange.headers

    def iter_bytes(self) -> _BodyIterator:
        return _BodyIterator(self._exchange)

    async def read(self) -> bytes:
        chunks = []
        while (chunk := await self._exchange.next_chunk()) is not None:
            chunks.append(chunk)
        return b"".join(chunks)


class _BodyIterator:
    __slots__ = ("_exchange",)

    def __init__(self, exchange: _Exchange) -> None:
        self._exchange = exchange

    def __aiter__(self) -> _BodyIterator:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._exchange.next_chunk()
        if chunk is None:
            raise StopAsyncIteration
        return bytes(chunk)
