"""Virtual time for tests: ``VirtualTimeEventLoop`` (asyncio) and ``autojump_clock`` (trio)."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
import anyio.to_thread
import pytest
import trio

from rafa_async.testing import VirtualTimeEventLoop, backend_options


@pytest.mark.anyio
async def test_long_sleep_costs_no_real_time(anyio_backend: Any) -> None:
    real_start = time.perf_counter()
    start = anyio.current_time()
    await anyio.sleep(1000)
    assert anyio.current_time() - start == pytest.approx(1000)
    assert time.perf_counter() - real_start < 1.0


@pytest.mark.anyio
async def test_clock_jumps_to_the_earliest_timer(anyio_backend: Any) -> None:
    woke: list[tuple[str, float]] = []
    start = anyio.current_time()

    async def sleeper(name: str, seconds: float) -> None:
        await anyio.sleep(seconds)
        woke.append((name, anyio.current_time() - start))

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper, "late", 30.0)
        tg.start_soon(sleeper, "early", 3.0)
    assert woke == [("early", pytest.approx(3.0)), ("late", pytest.approx(30.0))]


@pytest.mark.anyio
async def test_clock_does_not_move_while_a_task_is_runnable(anyio_backend: Any) -> None:
    start = anyio.current_time()
    readings: list[float] = []

    async def busy() -> None:
        for _ in range(100):
            await anyio.lowlevel.checkpoint()
            readings.append(anyio.current_time() - start)

    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.sleep, 5.0)
        tg.start_soon(busy)
    assert readings == [0.0] * 100


@pytest.mark.anyio
async def test_move_on_after_cancels_at_the_deadline(anyio_backend: Any) -> None:
    start = anyio.current_time()
    with anyio.move_on_after(7.5) as scope:
        await anyio.sleep(100)
    assert scope.cancelled_caught
    assert anyio.current_time() - start == pytest.approx(7.5)


@pytest.mark.anyio
async def test_fail_after_raises_timeout_error_at_the_deadline(anyio_backend: Any) -> None:
    start = anyio.current_time()
    with pytest.raises(TimeoutError), anyio.fail_after(2.0):
        await anyio.sleep(100)
    assert anyio.current_time() - start == pytest.approx(2.0)


@pytest.mark.anyio
async def test_move_on_after_leaves_fast_work_alone(anyio_backend: Any) -> None:
    with anyio.move_on_after(7.5) as scope:
        await anyio.sleep(1)
    assert not scope.cancelled_caught


def test_virtual_time_event_loop_starts_at_zero_and_jumps() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        await asyncio.sleep(3600)
        return before, loop.time()

    real_start = time.perf_counter()
    with asyncio.Runner(loop_factory=VirtualTimeEventLoop) as runner:
        before, after = runner.run(main())
    assert (before, after) == (0.0, pytest.approx(3600.0))
    assert time.perf_counter() - real_start < 1.0


def test_virtual_time_event_loop_runs_call_later_callbacks_in_time_order() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []
        done = asyncio.Event()
        loop.call_later(20, lambda: fired.append(("b", loop.time())))
        loop.call_later(10, lambda: fired.append(("a", loop.time())))
        cancelled = loop.call_later(15, lambda: fired.append(("cancelled", loop.time())))
        cancelled.cancel()
        loop.call_later(30, done.set)
        await done.wait()
        return fired

    with asyncio.Runner(loop_factory=VirtualTimeEventLoop) as runner:
        assert runner.run(main()) == [("a", 10.0), ("b", 20.0)]


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_backend_options_give_anyio_run_virtual_time(backend: str) -> None:
    async def main() -> float:
        start = anyio.current_time()
        await anyio.sleep(500)
        return anyio.current_time() - start

    real_start = time.perf_counter()
    elapsed = anyio.run(main, backend=backend, backend_options=backend_options(backend))
    assert elapsed == pytest.approx(500)
    assert time.perf_counter() - real_start < 1.0


def test_backend_options_reject_an_unknown_backend() -> None:
    with pytest.raises(ValueError, match="curio"):
        backend_options("curio")


def test_virtual_time_event_loop_serves_loopback_io_before_jumping_to_a_timer() -> None:
    """The clock jumps only when no socket is ready either (as trio's autojump
    polls I/O first), so a server and client in one loop talk without a
    distant timeout firing."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(100):
            writer.write(data)
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> tuple[list[bytes], float]:
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        start = asyncio.get_running_loop().time()
        received = []
        async with asyncio.timeout(60):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for i in range(5):
                writer.write(b"ping %d" % i)
                await writer.drain()
                received.append(await reader.read(100))
            writer.close()
            await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return received, asyncio.get_running_loop().time() - start

    with asyncio.Runner(loop_factory=VirtualTimeEventLoop) as runner:
        received, elapsed = runner.run(main())
    assert received == [b"ping %d" % i for i in range(5)]
    assert elapsed == 0.0


async def _echo_over_loopback() -> float:
    """A server and a client in one loop: the client waits for the echo under a
    timeout, so a clock that jumps over ready I/O fails with TimeoutError."""

    async def echo(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            async for data in stream:
                await stream.send(data)

    start = anyio.current_time()
    async with (
        await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0) as listener,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(listener.serve, echo)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with await anyio.connect_tcp("127.0.0.1", port) as client:
            for _ in range(3):
                await client.send(b"ping")
                with anyio.fail_after(5):
                    assert await client.receive() == b"ping"
        tg.cancel_scope.cancel()
    return anyio.current_time() - start


@pytest.mark.anyio
async def test_ready_loopback_io_wins_over_a_pending_timeout(anyio_backend: Any) -> None:
    assert await _echo_over_loopback() == 0.0


def test_virtual_time_event_loop_runs_ready_io_before_jumping_to_a_timer() -> None:
    """The loop goes idle with a socket readable and a timer 5 s ahead: the
    reader runs first, at virtual time 0, and the clock never jumps."""

    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []
        done = loop.create_future()
        left, right = socket.socketpair()
        with left, right:
            right.setblocking(False)

            def on_readable() -> None:
                fired.append(("read", loop.time()))
                loop.remove_reader(right)
                done.set_result(right.recv(16))

            loop.add_reader(right, on_readable)
            timer = loop.call_later(5, lambda: fired.append(("timer", loop.time())))
            left.send(b"ping")
            assert await done == b"ping"
            timer.cancel()
        return fired

    with asyncio.Runner(loop_factory=VirtualTimeEventLoop) as runner:
        assert runner.run(main()) == [("read", 0.0)]


class IOWaits(trio.abc.Instrument):
    """Counts trio's I/O waits: a spinning loop makes thousands."""

    def __init__(self) -> None:
        self.count = 0

    def before_io_wait(self, timeout: float) -> None:
        self.count += 1


def test_the_trio_clock_waits_for_a_thread_without_spinning() -> None:
    """With no timer pending, waiting on a thread is one blocking I/O wait
    or a few, not a poll loop (``MockClock(autojump_threshold=0)`` alone
    polls with timeout 0 until the thread ends)."""
    waits = IOWaits()

    async def main() -> None:
        await anyio.to_thread.run_sync(time.sleep, 0.2)

    anyio.run(
        main, backend="trio", backend_options={**backend_options("trio"), "instruments": [waits]}
    )
    assert waits.count < 20


def test_the_trio_clock_still_jumps_while_a_thread_runs() -> None:
    """A timer pending while a thread works still fires at once in real
    time, at its virtual deadline; the clock blocks again afterwards."""

    async def main() -> list[float]:
        seen: list[float] = []
        async with anyio.create_task_group() as tg:

            async def timer() -> None:
                await anyio.sleep(3600)
                seen.append(anyio.current_time())

            tg.start_soon(timer)
            await anyio.to_thread.run_sync(time.sleep, 0.2)
            seen.append(anyio.current_time())
        await anyio.sleep(60)
        seen.append(anyio.current_time())
        return seen

    seen = anyio.run(main, backend="trio", backend_options=backend_options("trio"))
    assert seen == [pytest.approx(3600), pytest.approx(3600), pytest.approx(3660)]
