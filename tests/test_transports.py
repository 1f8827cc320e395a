"""The HTTP transports (H11Transport on both backends, AiohttpTransport on
asyncio) against the in-loop test server, on virtual time."""

from __future__ import annotations

import gc
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import pytest
from http_server import Reply, ServerRequest, serve

from rafa_async import (
    ConfigError,
    ConnectFailed,
    ConnectionLost,
    LLMError,
    LLMTimeout,
    ProviderError,
)
from rafa_async.llm import (
    AiohttpTransport,
    H11Transport,
    HttpRequest,
    HttpTransport,
    SSEEvent,
    Timeouts,
    aiter_sse,
    default_transport,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["h11", "aiohttp"])
def kind(request: pytest.FixtureRequest, anyio_backend: tuple[str, Any]) -> str:
    if request.param == "aiohttp" and anyio_backend[0] != "asyncio":
        pytest.skip("aiohttp runs only on asyncio (trio gets H11Transport)")
    return str(request.param)


@asynccontextmanager
async def open_transport(kind: str, **options: Any) -> AsyncIterator[HttpTransport]:
    transport = default_transport(kind=kind, **options)  # type: ignore[arg-type]
    try:
        yield transport
    finally:
        await transport.aclose()


def get(url: str, **headers: str) -> HttpRequest:
    return HttpRequest(method="GET", url=url, headers=headers)


async def echo(request: ServerRequest, reply: Reply) -> None:
    await reply.json(
        201,
        {"method": request.method, "target": request.target, "body": request.body.decode()},
        headers={"X-Seen-Type": request.headers.get("content-type", "")},
    )


async def ok(request: ServerRequest, reply: Reply) -> None:
    await reply.text(200, f"ok {request.target}")


async def test_round_trip_sends_request_and_returns_response(kind: str) -> None:
    async with serve(echo) as server, open_transport(kind) as transport:
        response = await transport.request(
            HttpRequest(
                method="POST",
                url=f"{server.url}/v1/chat?x=1",
                headers={"Content-Type": "application/json"},
                body=b'{"q": 1}',
            )
        )
    assert response.status == 201
    assert response.headers["x-seen-type"] == "application/json"
    assert response.headers["content-type"] == "application/json"
    assert all(name == name.lower() for name in response.headers)
    assert response.body == b'{"method":"POST","target":"/v1/chat?x=1","body":"{\\"q\\": 1}"}'
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"


async def test_repeated_response_headers_are_joined(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.start(200, headers=[("Vary", "a"), ("X-N", "1"), ("vary", "b")])
        await reply.end()

    async with serve(handler) as server, open_transport(kind) as transport:
        response = await transport.request(get(server.url))
    assert response.headers["vary"] == "a, b"
    assert response.headers["x-n"] == "1"


async def test_sequential_requests_reuse_one_connection(kind: str) -> None:
    async with serve(ok) as server, open_transport(kind) as transport:
        bodies = [(await transport.request(get(f"{server.url}/{i}"))).body for i in range(10)]
    assert bodies == [f"ok /{i}".encode() for i in range(10)]
    assert server.connections_opened == 1


async def test_64_concurrent_requests_share_a_bounded_pool(kind: str) -> None:
    in_flight = peak = 0

    async def slow(request: ServerRequest, reply: Reply) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(1.0)
        in_flight -= 1
        await reply.text(200, request.target)

    results: dict[int, bytes] = {}

    async def one(transport: HttpTransport, url: str, i: int) -> None:
        results[i] = (await transport.request(get(f"{url}/{i}"))).body

    async with (
        serve(slow) as server,
        open_transport(kind, max_connections_per_origin=8) as transport,
    ):
        start = anyio.current_time()
        async with anyio.create_task_group() as tg:
            for i in range(64):
                tg.start_soon(one, transport, server.url, i)
        elapsed = anyio.current_time() - start
    assert results == {i: f"/{i}".encode() for i in range(64)}
    assert peak == 8
    assert server.connections_opened == 8
    assert elapsed == pytest.approx(8.0)  # 64 requests, 8 at a time, 1 s each


async def test_chunked_body_streams_chunk_by_chunk_as_it_arrives(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.chunks([b"one ", b"two ", b"three"], delay=2.0)

    async with serve(handler) as server, open_transport(kind) as transport:
        start = anyio.current_time()
        arrivals: list[tuple[bytes, float]] = []
        async with transport.stream(get(server.url)) as response:
            assert response.status == 200
            assert response.headers["transfer-encoding"] == "chunked"
            async for chunk in response.iter_bytes():
                arrivals.append((chunk, anyio.current_time() - start))
        again = await transport.request(get(server.url))
    assert arrivals == [(b"one ", 2.0), (b"two ", 4.0), (b"three", 6.0)]
    assert again.body == b"one two three"
    assert server.connections_opened == 1


async def test_content_length_body_of_a_megabyte(kind: str) -> None:
    payload = bytes(range(256)) * 4096

    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.send(200, payload)

    async with serve(handler) as server, open_transport(kind) as transport:
        response = await transport.request(get(server.url))
        async with transport.stream(get(server.url)) as stream:
            streamed = await stream.read()
    assert response.headers["content-length"] == str(len(payload))
    assert response.body == payload
    assert streamed == payload


async def test_sse_stream_decodes_events(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.sse(
            [b": keep-alive\n\n", {"delta": "Hel"}, SSEEvent("lo", event="text"), "[DONE]"],
            delay=0.5,
        )

    async with (
        serve(handler) as server,
        open_transport(kind) as transport,
        transport.stream(get(server.url)) as response,
    ):
        events = [event async for event in aiter_sse(response.iter_bytes())]
    assert events == [
        SSEEvent('{"delta":"Hel"}'),
        SSEEvent("lo", event="text"),
        SSEEvent("[DONE]"),
    ]


async def test_head_and_no_content_responses_have_empty_bodies(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.send(204)

    async with serve(handler) as server, open_transport(kind) as transport:
        response = await transport.request(get(server.url))
        again = await transport.request(HttpRequest(method="HEAD", url=server.url))
    assert (response.status, response.body) == (204, b"")
    assert (again.status, again.body) == (204, b"")
    assert server.connections_opened == 1


async def test_connection_close_response_is_not_reused(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.text(200, "bye", headers={"Connection": "close"})

    async with serve(handler) as server, open_transport(kind) as transport:
        for _ in range(3):
            assert (await transport.request(get(server.url))).body == b"bye"
    assert server.connections_opened == 3


async def test_a_request_asking_to_close_gets_a_fresh_connection_each_time(kind: str) -> None:
    async with serve(echo) as server, open_transport(kind) as transport:
        for _ in range(2):
            response = await transport.request(
                HttpRequest(
                    method="POST", url=server.url, headers={"Connection": "close"}, body=b"hi"
                )
            )
            assert response.status == 201
    assert server.connections_opened == 2
    assert [r.body for r in server.requests] == [b"hi", b"hi"]


async def test_refused_connection_raises_connect_failed_naming_host_and_port(kind: str) -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    async with open_transport(kind) as transport:
        with pytest.raises(ConnectFailed, match=f"127.0.0.1:{port}") as caught:
            await transport.request(get(f"http://127.0.0.1:{port}/v1/models"))
    assert caught.value.retryable


async def stall(request: ServerRequest, reply: Reply) -> None:
    await reply.stall()


async def test_stalled_server_times_out_after_exactly_the_read_timeout(kind: str) -> None:
    async with (
        serve(stall) as server,
        open_transport(kind, timeouts=Timeouts(read=3.0)) as transport,
    ):
        start = anyio.current_time()
        with pytest.raises(LLMTimeout, match="read timeout") as caught:
            await transport.request(get(server.url))
        assert anyio.current_time() - start == pytest.approx(3.0)
    assert f"127.0.0.1:{server.port}" in str(caught.value)


async def test_read_timeout_is_silence_between_chunks_not_the_whole_stream(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.chunks([b"a", b"b", b"c"], delay=2.0, end=False)
        await reply.stall()

    async with (
        serve(handler) as server,
        open_transport(kind, timeouts=Timeouts(read=3.0)) as transport,
    ):
        start = anyio.current_time()
        received: list[bytes] = []
        with pytest.raises(LLMTimeout, match="read timeout"):
            async with transport.stream(get(server.url)) as response:
                async for chunk in response.iter_bytes():
                    received.append(chunk)
        assert received == [b"a", b"b", b"c"]
        assert anyio.current_time() - start == pytest.approx(9.0)  # 3 chunks at 2 s, then 3 s


async def test_total_timeout_bounds_a_slow_but_steady_stream(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.chunks([b"x"] * 100, delay=1.0)

    async with (
        serve(handler) as server,
        open_transport(kind, timeouts=Timeouts(read=3.0, total=10.0)) as transport,
    ):
        start = anyio.current_time()
        with pytest.raises(LLMTimeout, match="total timeout"):
            await transport.request(get(server.url))
        assert anyio.current_time() - start == pytest.approx(10.0, abs=1.0)


async def test_body_cut_mid_way_raises_connection_lost(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        if request.path == "/sized":
            await reply.start(200, content_length=100)
            await reply.write(b"only part")
        else:
            await reply.sse(["one", "two"], end=False)
        await reply.drop()

    async with serve(handler) as server, open_transport(kind) as transport:
        with pytest.raises(ConnectionLost, match=f"127.0.0.1:{server.port}") as caught:
            await transport.request(get(f"{server.url}/sized"))
        assert caught.value.retryable
        events: list[SSEEvent] = []
        with pytest.raises(ConnectionLost):
            async with transport.stream(get(f"{server.url}/sse")) as response:
                async for event in aiter_sse(response.iter_bytes()):
                    events.append(event)
        assert events == [SSEEvent("one"), SSEEvent("two")]


async def test_garbage_response_raises_a_non_retryable_provider_error(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await reply.drop()

    async with serve(handler) as server, open_transport(kind) as transport:
        with pytest.raises(ProviderError, match="malformed HTTP response") as caught:
            await transport.request(get(server.url))
    assert not caught.value.retryable


@pytest.mark.parametrize("streamed", [False, True], ids=["request", "stream"])
async def test_a_body_breaking_chunked_framing_fails_at_once(kind: str, streamed: bool) -> None:
    # aiohttp's C parser closes such a connection without failing the body:
    # the transport must not wait for a read timeout (or forever).
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.chunks([b"data: one\n\n"], end=False)
        await reply.raw(b"zz\r\nnot a chunk\r\n")
        await reply.stall()

    async with (
        serve(handler) as server,
        open_transport(kind, timeouts=Timeouts(read=60.0)) as transport,
    ):
        start = anyio.current_time()
        with (
            anyio.fail_after(600),  # a hang fails the test instead
            pytest.raises(ProviderError, match="malformed HTTP response") as caught,
        ):
            if streamed:
                async with transport.stream(get(server.url)) as response:
                    async for _ in response.iter_bytes():
                        pass
            else:
                await transport.request(get(server.url))
        assert anyio.current_time() == start
        await anyio.sleep(0.01)
        assert server.open_connections == 0
    assert not caught.value.retryable


async def test_cancelled_exchange_closes_its_connection_and_leaks_no_task(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        if request.path == "/stall":
            await reply.stall()
        await reply.text(200, "fine")

    async with serve(handler) as server, open_transport(kind) as transport:
        await anyio.sleep(0.1)  # the server's tasks are up
        tasks_before = len(anyio.get_running_tasks())
        with anyio.move_on_after(1.0) as scope:
            await transport.request(get(f"{server.url}/stall"))
        assert scope.cancelled_caught
        await anyio.sleep(0.1)  # let the server see the close
        assert server.open_connections == 0
        assert len(anyio.get_running_tasks()) == tasks_before
        assert (await transport.request(get(f"{server.url}/next"))).body == b"fine"
    assert server.connections_opened == 2


async def test_stream_left_early_closes_its_connection(kind: str) -> None:
    async def handler(request: ServerRequest, reply: Reply) -> None:
        await reply.chunks([b"a", b"b", b"c"], delay=1.0)

    async with serve(handler) as server, open_transport(kind) as transport:
        async with transport.stream(get(server.url)) as response:
            async for _ in response.iter_bytes():
                break
        await anyio.sleep(5)  # the server's next writes fail: it sees the close
        assert server.open_connections == 0
        assert (await transport.request(get(server.url))).body == b"abc"
    assert server.connections_opened == 2


async def test_stream_read_to_its_end_returns_its_connection_to_the_pool(kind: str) -> None:
    async with serve(ok) as server, open_transport(kind) as transport:
        async with transport.stream(get(server.url)) as response:
            await response.read()
        assert (await transport.request(get(server.url))).status == 200
    assert server.connections_opened == 1


async def test_pooled_connection_closed_by_the_server_is_replaced_transparently(
    kind: str,
) -> None:
    async def close_after_reply(request: ServerRequest, reply: Reply) -> None:
        await reply.text(200, f"ok {request.connection}")
        await reply.drop()  # as a server does when its keep-alive timeout expires

    async with serve(close_after_reply) as server, open_transport(kind) as transport:
        first = await transport.request(get(server.url))
        second = await transport.request(get(server.url))
    assert (first.body, second.body) == (b"ok 1", b"ok 2")
    assert len(server.requests) == 2


async def test_h11_retries_a_stale_connection_once_then_gives_up(anyio_backend: Any) -> None:
    async def drop_everything_after_the_first(request: ServerRequest, reply: Reply) -> None:
        if request.connection == 1:
            await reply.text(200, "first")
        await reply.drop()

    async with (
        serve(drop_everything_after_the_first) as server,
        open_transport("h11", keepalive_expiry=None) as transport,
    ):
        assert (await transport.request(get(server.url))).body == b"first"
        await anyio.sleep(10)  # the server closed it long ago; the client does not know
        with pytest.raises(ConnectionLost, match="before responding"):
            await transport.request(get(server.url))
    # Connection 1 was stale (request never arrived); the retry on connection 2
    # was dropped; no third attempt.
    assert [r.connection for r in server.requests] == [1, 2]


async def test_idle_timeout_on_the_server_does_not_fail_requests(kind: str) -> None:
    async with (
        serve(ok, idle_timeout=5.0) as server,
        open_transport(kind, keepalive_expiry=60.0) as transport,
    ):
        for _ in range(3):
            assert (await transport.request(get(server.url))).status == 200
            await anyio.sleep(10)
    assert server.connections_opened == 3


async def test_a_request_after_aclose_raises_a_clear_error(kind: str) -> None:
    async with serve(ok) as server:
        transport = default_transport(kind=kind)  # type: ignore[arg-type]
        assert (await transport.request(get(server.url))).status == 200
        await transport.aclose()
        with pytest.raises(LLMError, match=r"closed \(aclose\(\) was called\)"):
            await transport.request(get(server.url))
        with pytest.raises(LLMError, match="closed"):
            async with transport.stream(get(server.url)):
                pass
        await anyio.sleep(0.1)
        assert server.open_connections == 0


async def test_no_resource_warning_after_aclose(kind: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with serve(ok) as server:
            transport = default_transport(kind=kind)  # type: ignore[arg-type]
            await transport.request(get(server.url))
            async with transport.stream(get(server.url)) as response:
                await response.read()
            await transport.aclose()
            del transport
            gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_default_transport_fits_the_running_loop(anyio_backend: tuple[str, Any]) -> None:
    transport = default_transport()
    expected = AiohttpTransport if anyio_backend[0] == "asyncio" else H11Transport
    assert type(transport) is expected
    assert type(default_transport(kind="h11")) is H11Transport
    await transport.aclose()
    with pytest.raises(ConfigError, match="'http2'"):
        default_transport(kind="http2")  # type: ignore[arg-type]


def test_default_transport_outside_a_loop_is_h11() -> None:
    assert type(default_transport()) is H11Transport


async def test_aiohttp_transport_on_trio_raises_config_error(
    anyio_backend: tuple[str, Any],
) -> None:
    if anyio_backend[0] != "trio":
        pytest.skip("the trio side of the aiohttp transport")
    transport = AiohttpTransport()
    with pytest.raises(ConfigError, match=r"needs asyncio.*H11Transport"):
        await transport.request(get("http://127.0.0.1:1/"))
    await transport.aclose()


async def test_invalid_urls_and_headers_are_config_errors(anyio_backend: Any) -> None:
    async with open_transport("h11") as transport:
        with pytest.raises(ConfigError, match="ftp://"):
            await transport.request(get("ftp://example.com/"))
        with pytest.raises(ConfigError, match="invalid HTTP request"):
            await transport.request(get("http://127.0.0.1:1/", bad="line\nbreak"))
        with pytest.raises(ConfigError, match="frames the body itself"):
            await transport.request(get("http://127.0.0.1:1/", **{"Content-Length": "3"}))


async def test_aclose_fails_requests_in_flight_with_a_clear_error(kind: str) -> None:
    errors: list[BaseException] = []

    async def request_then_record(transport: HttpTransport, url: str) -> None:
        try:
            await transport.request(get(url))
        except LLMError as exc:
            errors.append(exc)

    async with serve(stall) as server, anyio.create_task_group() as tg:
        transport = default_transport(kind=kind)  # type: ignore[arg-type]
        tg.start_soon(request_then_record, transport, server.url)
        await anyio.sleep(1.0)
        await transport.aclose()
    assert len(errors) == 1
    assert "closed while GET" in str(errors[0])
    assert type(errors[0]) is LLMError


async def test_https_to_a_plain_http_server_is_a_connect_failure(kind: str) -> None:
    async with serve(ok) as server, open_transport(kind) as transport:
        with pytest.raises(ConnectFailed, match=f"127.0.0.1:{server.port}"):
            await transport.request(get(f"https://127.0.0.1:{server.port}/"))
