"""A quick probe of the HTTP transports' cost (not the issue's full benchmark).

    uv run python benchmarks/_transport_probe.py [--requests 20000] [--concurrency 64]

A trivial aiohttp.web server runs in a separate process (so the client's CPU
is its own: user + kernel CPU time of this process) and answers every POST with
a small JSON body.  For each client -- H11Transport on trio and on asyncio,
AiohttpTransport on asyncio, and raw aiohttp for reference -- ``concurrency``
workers send ``requests`` keep-alive requests in all.  Prints requests/s and
client CPU microseconds per request; ``--profile NAME`` runs one client under
cProfile instead and prints the top functions.

Measured on the 2-core development machine (shared, so +-10%), 30,000
requests, 64 concurrent, client CPU per request: H11Transport on trio ~130-150
us, on asyncio ~160 us; AiohttpTransport ~100 us; raw aiohttp ~96-100 us.
h11 itself is most of H11Transport's cost (parsing a response takes ~40 us
here; a request's head is validated once per distinct header set).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import anyio

from rafa_async.llm import AiohttpTransport, H11Transport, HttpRequest, HttpTransport

BODY = b'{"model":"m","messages":[{"role":"user","content":"What is 4 + 9?"}]}'
SERVER = """
import sys
from aiohttp import web

REPLY = b'{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"13"}}]}'

async def answer(request):
    await request.read()
    return web.Response(body=REPLY, content_type="application/json")

app = web.Application()
app.router.add_post("/v1/chat/completions", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the probe server did not start")


async def drive(send: Callable[[], Awaitable[bytes]], requests: int, concurrency: int) -> None:
    per_worker = requests // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            assert await send()

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)


async def with_transport(
    transport: HttpTransport, url: str, requests: int, concurrency: int
) -> None:
    request = HttpRequest(
        method="POST", url=url, headers={"content-type": "application/json"}, body=BODY
    )

    async def send() -> bytes:
        return (await transport.request(request)).body

    try:
        await drive(send, requests // 10, concurrency)  # warm-up: connections open
        await drive(send, requests, concurrency)
    finally:
        await transport.aclose()


async def with_raw_aiohttp(url: str, requests: int, concurrency: int) -> None:
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send() -> bytes:
            async with session.post(
                url, data=BODY, headers={"content-type": "application/json"}
            ) as response:
                return await response.read()

        await drive(send, requests // 10, concurrency)
        await drive(send, requests, concurrency)


CLIENTS = {
    "h11-trio": ("trio", "h11"),
    "h11-asyncio": ("asyncio", "h11"),
    "aiohttp-transport-asyncio": ("asyncio", "aiohttp"),
    "raw-aiohttp-asyncio": ("asyncio", "raw"),
}


def run_client(name: str, url: str, requests: int, concurrency: int) -> tuple[float, float, float]:
    backend, kind = CLIENTS[name]

    async def main() -> None:
        if kind == "raw":
            await with_raw_aiohttp(url, requests, concurrency)
            return
        transport_class = H11Transport if kind == "h11" else AiohttpTransport
        transport = transport_class(max_connections_per_origin=concurrency)
        await with_transport(transport, url, requests, concurrency)

    wall, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    anyio.run(main, backend=backend)
    wall, after = time.perf_counter() - wall, resource.getrusage(resource.RUSAGE_SELF)
    done = requests * 1.1  # with the warm-up
    user = (after.ru_utime - before.ru_utime) / done * 1e6
    system = (after.ru_stime - before.ru_stime) / done * 1e6
    return done / wall, user, system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--profile", choices=sorted(CLIENTS))
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(run_client, args.profile, url, args.requests, args.concurrency)
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
            return
        print(f"{args.requests} requests, {args.concurrency} concurrent, keep-alive")
        print(f"{'client':28} {'req/s':>8} {'CPU us/req':>11} {'(user':>7} {'+ kernel)':>9}")
        for name in CLIENTS:
            rate, user, system = run_client(name, url, args.requests, args.concurrency)
            print(f"{name:28} {rate:8.0f} {user + system:11.1f} {user:7.1f} {system:9.1f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
