"""Client cost of an LLM call over HTTP: our adapter and middleware vs raw aiohttp and httpx.

    uv run python benchmarks/llm_overhead.py [--requests 3000] [--concurrency 64 256] [--rounds 3]

The server is ``rafa sim-serve --latency-scale 0`` (the SIMULATED LLM as an
OpenAI-compatible API, answering at once) in its own process on loopback.
Every client runs in a child process of its own, one per configuration,
concurrency and round, so server, client and this driver never share a CPU
clock.  A client sends ``--requests`` timed requests (after a warm-up that
opens every connection) from ``concurrency`` tasks, each request a Game of 24
proposal with its structured intent (``rafa_intent``, so the server does real
sim work); request *i* asks for sample *i*, so no two requests are alike (a
cache never hits).  Every client sends the same body bytes: the raw clients
send what our adapter encodes.

Per configuration: requests/s, p50/p99 latency, client CPU per request (the
child's user + kernel CPU over the timed phase / requests) and the server's
CPU per request over the same phase (from /proc).  Rows:

  (a)  raw aiohttp: one ClientSession, ``post`` + ``await response.json()``, asyncio
  (b)  OpenAIChat + all middleware, AiohttpTransport, asyncio
  (b+) as (b), plus a SQLite response cache (every call a miss + store) and a
       cassette Recorder: opt-in features, for their cost
  (c)  OpenAIChat + all middleware, H11Transport, trio
  (d)  httpx.AsyncClient on trio, for reference (fewer requests: it is slow)
  (e)  OpenAIChat without middleware on each transport: (b)-(e) is the
       middleware's own cost
  (f)  no HTTP: the SIMULATED LLM in process (same seed and zero latency as
       the server), bare and behind all middleware

"All middleware" is ``MiddlewareStack`` with every layer a real run has:
Traced (an EventRecorder to a NullSink: building and stamping the events,
not writing them) -> UsageMeter with the default price table -> Retry (4
attempts) -> ConcurrencyLimit (= the concurrency) -> RateLimit (rpm and tpm
so high that no call ever waits) -> provider, whose transport bounds each
attempt (``Timeouts(total=120)``, as ``rafa run`` builds an HTTP provider;
in process, with no transport, a Timeout (120 s) layer does it).  The sim's
answers are marked simulated, so UsageMeter prices them at 0 without looking
the model up (a lookup is ~1 us; see middleware_overhead.py).

Then, in this process with the server idle, what the middleware's cost is
made of: each layer of the stack alone, and the whole stack, around the
in-process sim at zero latency from the first concurrency's tasks, on asyncio
and trio (``--no-layers`` skips it).

Connections: every client may open as many as there are concurrent requests.
Rounds alternate the configurations (the order reverses every round).  The
table shows the best round's client CPU per request (as timeit: on a shared
machine slower rounds measure the neighbours), its median beside it, and the
median over rounds of every other figure; the JSON keeps every round.  The
machine has 2 cores: server and client get about one each, and the server
(its CPU per request is above the client's) bounds the throughput, so
requests/s and latency compare clients only roughly; client CPU per request
is what the goals are about.  ``--profile NAME`` runs one configuration's
timed phase under cProfile and prints where its CPU goes.

Goals (issue 5): (b) adds <= 25 us of client CPU per call over (a); (c) is
within 2x of (a)'s client CPU per request.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import importlib
import io
import os
import pstats
import re
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import anyio
import msgspec
from _report import parse_args as parse_with_quick, write_report
from rich import box
from rich.console import Console
from rich.table import Table
from yarl import URL

from rafa_async import EventRecorder, NullSink
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.llm import (
    DEFAULT_PRICES,
    LLM,
    SIM_LABEL,
    AiohttpTransport,
    ChatRequest,
    ConcurrencyLimit,
    H11Transport,
    LatencyModel,
    MiddlewareStack,
    RateLimit,
    Retry,
    Timeout,
    Timeouts,
    Traced,
    UsageMeter,
)
from rafa_async.scenarios import simulated_llm
from rafa_async.scenarios.game24 import Game24State, Game24World

Backend = Literal["asyncio", "trio"]
Kind = Literal["raw-aiohttp", "httpx", "adapter", "sim"]

SEED = 0
MODEL = "sim"
STATE = Game24State.start([Fraction(n) for n in (4, 9, 10, 13)])
ATTEMPT_TIMEOUT = 120.0
RPM, TPM = 1e12, 1e15
"""Rate limits so high that no call ever waits: the bookkeeping's cost, not waiting's."""
CPU_GOAL_US = 25.0
RATIO_GOAL = 2.0
HEADERS = {"content-type": "application/json"}
LEGEND = """\
all mw = MiddlewareStack: Traced(EventRecorder(NullSink)) -> UsageMeter(DEFAULT_PRICES) -> Retry(4)
  -> ConcurrencyLimit(conc.) -> RateLimit(rpm + tpm, never waits) -> provider, whose transport
  bounds each attempt (Timeouts(total=120 s)); in process (f): a Timeout(120 s) layer instead.
client CPU = the client process's user + kernel CPU in the timed phase / requests: the best round
  (the median in brackets); server CPU = sim-serve's in the same phase.  Each client process sends
  the same requests (a Game of 24 proposal with its rafa_intent, one sample each).
(e)-(a): adapter + transport vs raw aiohttp; (b)-(e): the middleware; (f): no HTTP at all."""


class Client(msgspec.Struct, frozen=True):
    label: str
    backend: Backend
    kind: Kind
    transport: Literal["aiohttp", "h11", ""] = ""
    stack: Literal["none", "all", "all+cache+recorder"] = "none"
    share: float = 1.0
    """Fraction of ``--requests`` this client sends (httpx is slow; see ``client_requests``)."""


CLIENTS: dict[str, Client] = {
    "a": Client("(a) raw aiohttp", "asyncio", "raw-aiohttp"),
    "b": Client("(b) OpenAIChat + all mw, aiohttp", "asyncio", "adapter", "aiohttp", "all"),
    "b+": Client(
        "(b+) (b) + Cache miss + Recorder", "asyncio", "adapter", "aiohttp", "all+cache+recorder"
    ),
    "c": Client("(c) OpenAIChat + all mw, h11, trio", "trio", "adapter", "h11", "all"),
    "d": Client("(d) httpx on trio", "trio", "httpx", share=0.1),
    "e-aiohttp": Client("(e) OpenAIChat, no mw, aiohttp", "asyncio", "adapter", "aiohttp"),
    "e-h11": Client("(e) OpenAIChat, no mw, h11, trio", "trio", "adapter", "h11"),
    "f-asyncio": Client("(f) in-process sim, asyncio", "asyncio", "sim"),
    "f-stack-asyncio": Client("(f) in-process sim + all mw, asyncio", "asyncio", "sim", "", "all"),
    "f-trio": Client("(f) in-process sim, trio", "trio", "sim"),
    "f-stack-trio": Client("(f) in-process sim + all mw, trio", "trio", "sim", "", "all"),
}


class Sample(msgspec.Struct, frozen=True, kw_only=True):
    """One timed phase of one client (a child process)."""

    client: str
    concurrency: int
    requests: int
    wall_s: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu_us: float
    client_user_us: float
    client_system_us: float
    server_cpu_us: float | None


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One client at one concurrency: the best round's client CPU per
    request (as timeit: slower rounds measure the neighbours on a shared
    machine), and every other figure's median over the rounds."""

    client: str
    label: str
    concurrency: int
    requests: int
    rounds: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu_us: float
    client_cpu_us_median: float
    server_cpu_us: float | None


class Goal(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    concurrency: int
    measured: float
    limit: float
    unit: str
    met: bool


# -- what every client sends ------------------------------------------------------


def chat_requests(n: int) -> list[ChatRequest]:
    """``n`` Game of 24 proposals from the same state, sample 0..n-1 (all distinct)."""
    world = Game24World(model=MODEL)
    return [world.propose_request(STATE, (), sample) for sample in range(n)]


def adapter(base_url: str, transport: AiohttpTransport | H11Transport | None) -> OpenAIChat:
    return OpenAIChat(
        model=MODEL, base_url=base_url, api_key_env=None, transport=transport, send_intent=True
    )


def wire_bodies(requests: Sequence[ChatRequest]) -> list[bytes]:
    """The bytes our adapter sends for each request, for the raw clients to send."""
    encoder = adapter("http://127.0.0.1", None)
    return [encoder._http_request(r, stream=False).body for r in requests]


def middleware(
    provider: LLM, client: Client, concurrency: int, workdir: Path, *, timeout: float | None
) -> LLM:
    """The stack a real run puts around ``provider``: with ``timeout`` None
    when the provider's own transport bounds each attempt (HTTP providers, as
    ``rafa run`` builds them: adapters.providers.stack_options)."""
    if client.stack == "none":
        return provider
    extra = client.stack == "all+cache+recorder"
    return MiddlewareStack(
        provider,
        max_concurrency=concurrency,
        timeout=timeout,
        recorder=EventRecorder(NullSink()),
        prices=DEFAULT_PRICES,
        cache=workdir / "cache.sqlite" if extra else None,
        record=workdir / "calls.cassette" if extra else None,
        rpm=RPM,
        tpm=TPM,
        rpm_burst=RPM,
        tpm_burst=TPM,
    )


# -- the clients (each yields ``send(i)``: request i, awaited to its decoded answer) --

Send = Callable[[int], Awaitable[object]]


@asynccontextmanager
async def raw_aiohttp(url: str, bodies: Sequence[bytes], concurrency: int) -> AsyncIterator[Send]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(i: int) -> object:
            async with session.post(url, data=bodies[i], headers=HEADERS) as response:
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}: {await response.text()}")
                return await response.json()

        yield send


def import_httpx() -> Any:
    """httpx, or httpx2 (pydantic's fork, what the openai SDK installs here)."""
    try:
        return importlib.import_module("httpx")
    except ImportError:
        return importlib.import_module("httpx2")


@asynccontextmanager
async def httpx_client(url: str, bodies: Sequence[bytes], concurrency: int) -> AsyncIterator[Send]:
    httpx = import_httpx()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120.0) as session:

        async def send(i: int) -> object:
            response = await session.post(url, content=bodies[i], headers=HEADERS)
            response.raise_for_status()
            return response.json()

        yield send


@asynccontextmanager
async def our_adapter(
    base_url: str, client: Client, requests: Sequence[ChatRequest], concurrency: int, workdir: Path
) -> AsyncIterator[Send]:
    kind = AiohttpTransport if client.transport == "aiohttp" else H11Transport
    # The transport bounds each attempt (Timeouts.total), so the stack adds no
    # Timeout layer: what rafa run does for an HTTP provider.
    transport = kind(
        max_connections_per_origin=concurrency, timeouts=Timeouts(total=ATTEMPT_TIMEOUT)
    )
    llm = middleware(adapter(base_url, transport), client, concurrency, workdir, timeout=None)
    try:
        yield lambda i: llm.complete(requests[i])
    finally:
        if isinstance(llm, MiddlewareStack):
            await llm.aclose()
        await transport.aclose()


@asynccontextmanager
async def in_process_sim(
    client: Client, requests: Sequence[ChatRequest], concurrency: int, workdir: Path
) -> AsyncIterator[Send]:
    sim = simulated_llm(seed=SEED, latency=LatencyModel(scale=0.0))
    # In process, nothing else bounds an attempt: the Timeout layer stays.
    llm = middleware(sim, client, concurrency, workdir, timeout=ATTEMPT_TIMEOUT)
    yield lambda i: llm.complete(requests[i])


def open_client(
    client: Client, base_url: str, requests: Sequence[ChatRequest], concurrency: int, workdir: Path
) -> contextlib.AbstractAsyncContextManager[Send]:
    url = str(URL(base_url) / "chat/completions")
    if client.kind == "raw-aiohttp":
        return raw_aiohttp(url, wire_bodies(requests), concurrency)
    if client.kind == "httpx":
        return httpx_client(url, wire_bodies(requests), concurrency)
    if client.kind == "adapter":
        return our_adapter(base_url, client, requests, concurrency, workdir)
    return in_process_sim(client, requests, concurrency, workdir)


def check(answer: object) -> None:
    """A sim answer: our response type says so, the raw JSON has the sim's flag."""
    simulated = (
        answer.get("rafa_simulated") if isinstance(answer, dict) else answer.simulated  # type: ignore[attr-defined]
    )
    if simulated is not True:
        raise RuntimeError(f"not an answer of the simulated LLM: {answer!r}")


# -- one child: warm up, then time ---------------------------------------------------


async def drive(send: Send, indices: range, concurrency: int) -> list[float]:
    """Send requests ``indices`` from ``concurrency`` tasks; each request's latency."""
    latencies: list[float] = []
    pending = iter(indices)
    clock = time.perf_counter

    async def worker() -> None:
        for i in pending:
            started = clock()
            await send(i)
            latencies.append(clock() - started)

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return latencies


def server_cpu_s(pid: int | None) -> float | None:
    """CPU seconds of process ``pid``'s main thread so far (Linux: /proc/PID/schedstat,
    in ns; /proc/PID/stat, in clock ticks, without it), else None.  The sim
    server is one thread (no thread pool: it resolves no names)."""
    if pid is None:
        return None
    with contextlib.suppress(OSError):
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quantile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(
    name: str,
    base_url: str,
    concurrency: int,
    requests: int,
    server_pid: int | None,
    profile: cProfile.Profile | None,
) -> Sample:
    client = CLIENTS[name]
    warmup = max(2 * concurrency, requests // 5)
    chat = chat_requests(warmup + requests)
    with tempfile.TemporaryDirectory() as tmp:
        async with open_client(client, base_url, chat, concurrency, Path(tmp)) as send:
            check(await send(0))
            await drive(send, range(1, warmup), concurrency)
            gc.collect()
            server_before = server_cpu_s(server_pid)
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            if profile is not None:
                profile.enable()
            latencies = await drive(send, range(warmup, warmup + requests), concurrency)
            if profile is not None:
                profile.disable()
            wall = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            server_after = server_cpu_s(server_pid)
    user = (cpu_after.ru_utime - cpu_before.ru_utime) / requests * 1e6
    system = (cpu_after.ru_stime - cpu_before.ru_stime) / requests * 1e6
    latencies.sort()
    server = (
        None
        if server_before is None or server_after is None
        else (server_after - server_before) / requests * 1e6
    )
    return Sample(
        client=name,
        concurrency=concurrency,
        requests=requests,
        wall_s=round(wall, 4),
        requests_per_s=round(requests / wall, 1),
        p50_ms=round(quantile(latencies, 0.5) * 1e3, 3),
        p99_ms=round(quantile(latencies, 0.99) * 1e3, 3),
        client_cpu_us=round(user + system, 2),
        client_user_us=round(user, 2),
        client_system_us=round(system, 2),
        server_cpu_us=round(server, 2) if server is not None and client.kind != "sim" else None,
    )


def child_main(args: argparse.Namespace) -> None:
    backend = CLIENTS[args.child].backend
    profile = cProfile.Profile() if args.profile_out else None
    sample = anyio.run(
        measure,
        args.child,
        args.base_url,
        args.concurrency[0],
        args.requests,
        args.server_pid,
        profile,
        backend=backend,
    )
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(pstats.SortKey.TIME).print_stats(args.top)
        stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(args.top)
        Path(args.profile_out).write_text(out.getvalue())
    sys.stdout.buffer.write(msgspec.json.encode(sample) + b"\n")


# -- what the middleware's cost is made of (in process) ------------------------------

LAYERS: dict[str, Callable[[LLM, int], LLM]] = {
    "bare SimLLM": lambda sim, concurrency: sim,
    "Traced(EventRecorder(NullSink))": lambda sim, c: Traced(sim, EventRecorder(NullSink())),
    "UsageMeter(DEFAULT_PRICES)": lambda sim, c: UsageMeter(sim, prices=DEFAULT_PRICES),
    "Retry(4)": lambda sim, concurrency: Retry(sim),
    "ConcurrencyLimit": lambda sim, concurrency: ConcurrencyLimit(sim, concurrency),
    "RateLimit(rpm + tpm)": lambda sim, concurrency: RateLimit(
        sim, rpm=RPM, tpm=TPM, rpm_burst=RPM, tpm_burst=TPM
    ),
    "Timeout(120 s)": lambda sim, concurrency: Timeout(sim, 120.0),
    "all mw (the stack of (b), + Timeout)": lambda sim, concurrency: middleware(
        sim, CLIENTS["b"], concurrency, Path(), timeout=ATTEMPT_TIMEOUT
    ),
}


async def layer_cpu_us(llm: LLM, requests: Sequence[ChatRequest], concurrency: int) -> float:
    started = time.process_time()
    await drive(lambda i: llm.complete(requests[i]), range(len(requests)), concurrency)
    return (time.process_time() - started) / len(requests) * 1e6


def layer_costs(requests: int, concurrency: int, rounds: int) -> dict[str, dict[str, float]]:
    """Each layer alone (and the whole stack) around the in-process sim at zero
    latency, ``concurrency`` tasks: client CPU us per call over the bare sim,
    best of ``rounds`` interleaved rounds, on each backend.  The sim's own work
    around each call keeps the caches as cold as real work does."""
    chat = chat_requests(requests)
    sim = simulated_llm(seed=SEED, latency=LatencyModel(scale=0.0))
    costs: dict[str, dict[str, float]] = {}
    for backend in ("asyncio", "trio"):
        anyio.run(layer_cpu_us, sim, chat, concurrency, backend=backend)  # warm-up
        best: dict[str, float] = {}
        for _ in range(rounds):
            for name, wrap in LAYERS.items():
                llm = wrap(sim, concurrency)
                us = anyio.run(layer_cpu_us, llm, chat, concurrency, backend=backend)
                best[name] = min(us, best.get(name, us))
        bare = best.pop("bare SimLLM")
        over = {name: us - bare for name, us in best.items()}
        alone = sum(us for name, us in over.items() if not name.startswith("all"))
        row = {"bare SimLLM (absolute)": bare, **over, "sum of the layers alone": alone}
        costs[backend] = {name: round(us, 2) for name, us in row.items()}
    return costs


def layer_table(costs: dict[str, dict[str, float]], concurrency: int) -> Table:
    title = (
        f"What the middleware costs, in process: us per call over the bare SimLLM, "
        f"{concurrency} concurrent, best round"
    )
    result = Table(title=title, box=box.SIMPLE_HEAD)
    result.add_column("layer")
    for backend in costs:
        result.add_column(backend, justify="right")
    for name in costs["asyncio"]:
        result.add_row(name, *(f"{costs[backend][name]:.1f}" for backend in costs))
    return result


# -- the driver: server, children, report --------------------------------------------

BANNER_URL = re.compile(rb"(http://127\.0\.0\.1:\d+/v1)")


class SimServe(msgspec.Struct, frozen=True):
    pid: int
    base_url: str


@contextlib.contextmanager
def sim_serve() -> Iterator[SimServe]:
    """``rafa sim-serve --port 0 --latency-scale 0`` as a child process, until the
    block ends (SIGTERM: it stops gracefully)."""
    command = [sys.executable, "-c", "from rafa_async.cli import main; main()", "sim-serve"]
    options = ["--port", "0", "--latency-scale", "0", "--seed", str(SEED), "--log-level", "error"]
    with subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    ) as process:
        try:
            yield SimServe(process.pid, read_banner(process))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def read_banner(process: subprocess.Popen[bytes]) -> str:
    """The base URL the server's banner announces (30 s at most)."""
    assert process.stdout is not None
    banner = b""
    deadline = time.monotonic() + 30.0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"Ctrl-C to stop" not in banner:
            remaining = deadline - time.monotonic()
            ready = remaining > 0 and selector.select(remaining)
            chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                raise RuntimeError(f"rafa sim-serve did not start: {banner.decode()}")
            banner += chunk
    found = BANNER_URL.search(banner)
    if found is None or SIM_LABEL.encode() not in banner:
        raise RuntimeError(f"unexpected rafa sim-serve banner: {banner.decode()}")
    return found.group(1).decode()


def run_child(
    name: str,
    server: SimServe,
    concurrency: int,
    requests: int,
    profile_out: Path | None = None,
    top: int = 30,
) -> Sample:
    command = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--base-url",
        server.base_url,
        "--server-pid",
        str(server.pid),
        "--concurrency",
        str(concurrency),
        "--requests",
        str(requests),
    ]
    if profile_out is not None:
        command += ["--profile-out", str(profile_out), "--top", str(top)]
    done = subprocess.run(command, capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"client {name} (concurrency {concurrency}) failed:\n{done.stderr.decode()}"
        )
    return msgspec.json.decode(done.stdout.splitlines()[-1], type=Sample)


def rows_of(samples: Sequence[Sample]) -> list[Row]:
    rows = []
    keys = dict.fromkeys((s.client, s.concurrency) for s in samples)
    for name, concurrency in keys:
        mine = [s for s in samples if s.client == name and s.concurrency == concurrency]
        cpu = [s.client_cpu_us for s in mine]
        servers = [s.server_cpu_us for s in mine if s.server_cpu_us is not None]
        rows.append(
            Row(
                client=name,
                label=CLIENTS[name].label,
                concurrency=concurrency,
                requests=mine[0].requests,
                rounds=len(mine),
                requests_per_s=round(statistics.median(s.requests_per_s for s in mine), 1),
                p50_ms=round(statistics.median(s.p50_ms for s in mine), 3),
                p99_ms=round(statistics.median(s.p99_ms for s in mine), 3),
                client_cpu_us=min(cpu),
                client_cpu_us_median=round(statistics.median(cpu), 2),
                server_cpu_us=round(statistics.median(servers), 2) if servers else None,
            )
        )
    order = list(CLIENTS)
    return sorted(rows, key=lambda r: (r.concurrency, order.index(r.client)))


GOALS = (
    # (client, name, unit, measure from (its CPU, raw aiohttp's CPU), limit)
    ("b", "(b) adds <= 25 us client CPU per call over (a)", "us", float.__sub__, CPU_GOAL_US),
    ("c", "(c) within 2x of (a)'s client CPU per request", "x", float.__truediv__, RATIO_GOAL),
)


def goals_of(rows: Sequence[Row]) -> list[Goal]:
    """Each goal at each concurrency where its client and raw aiohttp both ran."""
    by = {(r.client, r.concurrency): r.client_cpu_us for r in rows}
    goals = []
    for concurrency in sorted({r.concurrency for r in rows}):
        raw = by.get(("a", concurrency))
        for client, name, unit, measure, limit in GOALS:
            ours = by.get((client, concurrency))
            if raw is None or ours is None:
                continue
            measured = measure(ours, raw)
            goals.append(
                Goal(
                    name=name,
                    concurrency=concurrency,
                    measured=round(measured, 3),
                    limit=limit,
                    unit=unit,
                    met=measured <= limit,
                )
            )
    return goals


def table(rows: Sequence[Row]) -> Table:
    title = "One LLM call, SIMULATED LLM served on loopback at zero latency"
    result = Table(title=title, box=box.SIMPLE_HEAD)
    columns = ["client", "conc.", "requests", "req/s", "p50 ms", "p99 ms", "client CPU us/req"]
    columns += ["(median)", "server CPU us/req"]
    for column in columns:
        result.add_column(column, justify="left" if column == "client" else "right")
    for r in rows:
        result.add_row(
            r.label,
            str(r.concurrency),
            str(r.requests),
            f"{r.requests_per_s:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.client_cpu_us:.1f}",
            f"({r.client_cpu_us_median:.1f})",
            "-" if r.server_cpu_us is None else f"{r.server_cpu_us:.1f}",
        )
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per client")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--clients", nargs="+", choices=list(CLIENTS), default=list(CLIENTS), metavar="NAME"
    )
    parser.add_argument(
        "--no-layers",
        action="store_true",
        help="skip the in-process cost of each middleware layer (~15 s)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--profile", choices=list(CLIENTS), help="profile this client's timed phase instead"
    )
    parser.add_argument("--top", type=int, default=30, help="functions a profile lists")
    # Internal: run one client (a child process) and print its Sample as JSON.
    parser.add_argument("--child", choices=list(CLIENTS), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parse_with_quick(
        parser,
        argv,
        requests=200,
        concurrency=[16],
        rounds=1,
        clients=["a", "b", "c"],
        no_layers=True,
    )
    if min(args.requests, args.rounds, *args.concurrency) < 1:
        parser.error("--requests, --rounds and --concurrency must be >= 1")
    return args


def client_requests(client: Client, requests: int, concurrency: int) -> int:
    """Its share of ``requests``, but at least two per concurrent task (a
    steady state), unless ``requests`` itself is fewer."""
    return max(round(requests * client.share), min(requests, 2 * concurrency))


def profile_main(args: argparse.Namespace, server: SimServe) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.txt"
        sample = run_child(args.profile, server, args.concurrency[0], args.requests, out, args.top)
        print(out.read_text())
    print(
        f"{CLIENTS[args.profile].label}: {sample.client_cpu_us:.1f} us client CPU per request "
        f"under cProfile ({sample.requests} requests, {sample.concurrency} concurrent)"
    )


def main() -> None:
    args = parse_args()
    if args.child:
        child_main(args)
        return
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(SIM_LABEL, flush=True)
    samples: list[Sample] = []
    with sim_serve() as server:
        if args.profile:
            profile_main(args, server)
            return
        for round_number in range(args.rounds):
            names = args.clients if round_number % 2 == 0 else args.clients[::-1]
            for concurrency in args.concurrency:
                for name in names:
                    requests = client_requests(CLIENTS[name], args.requests, concurrency)
                    sample = run_child(name, server, concurrency, requests)
                    samples.append(sample)
                    print(
                        f"round {round_number + 1}/{args.rounds} {CLIENTS[name].label:40} "
                        f"c={concurrency:<4} {sample.requests_per_s:8,.0f} req/s "
                        f"{sample.client_cpu_us:7.1f} us CPU/req",
                        flush=True,
                    )
    layers = (
        layer_costs(args.requests, args.concurrency[0], args.rounds) if not args.no_layers else {}
    )
    rows = rows_of(samples)
    goals = goals_of(rows)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table(rows))
    console.print(LEGEND, highlight=False)
    httpx = import_httpx()
    console.print(f"(d) is {httpx.__name__} {httpx.__version__}", highlight=False)
    for goal in goals:
        verdict = "yes" if goal.met else "NO"
        console.print(
            f"goal, {goal.concurrency} concurrent: {goal.name}: {verdict} "
            f"(measured {goal.measured:.2f} {goal.unit}, limit {goal.limit:g} {goal.unit})",
            highlight=False,
        )
    if layers:
        console.print(layer_table(layers, args.concurrency[0]))
    console.print(f"[bold]{SIM_LABEL}[/]", highlight=False)
    seconds = round(time.perf_counter() - started, 1)
    write_report(
        args.out / "llm_overhead.json",
        {
            "label": SIM_LABEL,
            "simulated": True,
            "settings": {
                "requests": args.requests,
                "concurrency": args.concurrency,
                "rounds": args.rounds,
                "clients": args.clients,
                "server": "rafa sim-serve --port 0 --latency-scale 0 --seed 0",
                "request": "Game of 24 proposal for '4 9 10 13', sample i, rafa_intent sent",
                "httpx": f"{httpx.__name__} {httpx.__version__}",
            },
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "definitions": {
                "client_cpu_us": "child's user + kernel CPU over the timed phase / requests",
                "server_cpu_us": "sim-serve's user + kernel CPU over the same phase / requests",
                "rows": "client_cpu_us: the best round; client_cpu_us_median and every other "
                "figure: the median over rounds; samples keeps every round",
                "all_middleware": "Traced(EventRecorder(NullSink)) -> UsageMeter(prices) -> "
                "Retry(4) -> ConcurrencyLimit(concurrency) -> RateLimit(never waits) -> "
                "provider (transport: Timeouts(total=120 s))",
            },
            "rows": [msgspec.to_builtins(r) for r in rows],
            "middleware_layers_us_over_bare_sim": layers,
            "goals": [msgspec.to_builtins(g) for g in goals],
            "samples": [msgspec.to_builtins(s) for s in samples],
            "seconds": seconds,
        },
        "aiohttp",
        "h11",
        httpx.__name__,
    )
    print(f"wrote {args.out / 'llm_overhead.json'} in {seconds} s")


if __name__ == "__main__":
    main()
