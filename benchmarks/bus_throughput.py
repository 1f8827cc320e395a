"""Event bus fan-out throughput: EventBus vs raw anyio streams vs autogen-core.

Measures deliveries per second (one event handed to one subscriber), in real
wall time, from one publisher to 1 and to 100 subscribers, on trio and on
asyncio side by side in one run.  No LLM is involved; nothing here is simulated.

1. ``rafa_async.EventBus`` for each overflow policy (block, drop_oldest,
   latest), with a publisher that awaits ``bus.publish`` per event and with a
   batched publisher (``publish_nowait`` a chunk, then one checkpoint; on
   ``WouldBlock`` it awaits ``bus.publish``).  Consumers drain with
   ``await sub.receive_batch()`` (and, for ``block``, also with ``async for``).
   Drops are reported beside deliveries; two deliberately lossy cases (a tiny
   ``drop_oldest`` buffer; ``latest`` over 4 topics) show drops are counted.
2. Raw anyio memory-object streams, one per subscriber, same buffer:
   (a) one ``await send`` per message per subscriber, consumers ``async for``;
   (b) batched: ``send_nowait`` to every stream then one checkpoint per chunk,
   consumers drain with ``receive_nowait`` after one ``await receive``.
3. autogen-core's ``SingleThreadedAgentRuntime`` publishing to subscribed
   ``RoutedAgent``s (asyncio only; needs the optional ``bench`` extra:
   ``uv sync --locked --extra bench``).  Deliveries are handler invocations.

Each case is timed from the first publish until every consumer has drained,
with events auto-sized so a run lasts at least ``--min-time`` seconds (or
exactly ``--events`` per run), best of ``--repeats`` runs, each in a fresh
event loop.

    .venv/bin/python benchmarks/bus_throughput.py
    .venv/bin/python benchmarks/bus_throughput.py --backend trio --events 20000 --no-autogen

Goals (docs/architecture.md), for fan-out to 100: ours (best batched ``block``) >= 1/4 of
raw batched anyio on the same backend, and >= 20x autogen-core.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import gc
import importlib.metadata
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import _report
import anyio
import anyio.lowlevel
import structlog
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from rich import box
from rich.console import Console
from rich.table import Table

from rafa_async import Event, EventBus, Overflow, Subscription, Transition

try:
    import autogen_core
except ImportError:  # the optional "bench" extra is not installed
    autogen_core = None  # type: ignore[assignment]

Backend = Literal["trio", "asyncio"]

BUFFER = 1024
"""Per-subscriber buffer, for our bus and for the raw streams alike."""
CHUNK = 256
"""Events a batched publisher sends between two checkpoints."""
SMALL_BUFFER = 16
FEW_TOPICS = 4
TOPICS = tuple(f"match.{k}.transition" for k in range(BUFFER))
PATTERN = "match.*.transition"
FANOUT = 100
RAW_GOAL = 0.25
AUTOGEN_GOAL = 20.0

EVENT = Transition(
    episode="bench",
    step=1,
    action="4 + 9 = 13",
    accepted=True,
    feedback="accepted",
    reward=0.0,
    done=False,
    state="10 13 13",
)


@dataclass(frozen=True)
class Case:
    variant: str
    kind: Literal["bus", "raw", "autogen"]
    publisher: Literal["await", "batched"] = "await"
    consumer: Literal["receive_batch", "async for", "receive_nowait"] = "receive_batch"
    overflow: Overflow = "block"
    buffer: int = BUFFER
    topics: int = len(TOPICS)


@dataclass
class Result:
    backend: str
    subscribers: int
    variant: str
    events: int
    deliveries: int
    drops: int
    seconds: float
    drop_log_lines: int = 0

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds

    @property
    def offered_rate(self) -> float:
        """Events x subscribers per second, delivered or dropped."""
        return (self.deliveries + self.drops) / self.seconds


def bus_cases() -> list[Case]:
    cases = []
    for overflow in ("block", "drop_oldest", "latest"):
        for publisher in ("await", "batched"):
            consumers: list[Literal["receive_batch", "async for"]] = ["receive_batch"]
            if overflow == "block":
                consumers.append("async for")
            for consumer in consumers:
                label = "await publish" if publisher == "await" else "batched publish_nowait"
                cases.append(
                    Case(
                        f"bus {overflow}, {label}, {consumer}",
                        "bus",
                        publisher,
                        consumer,
                        overflow,
                    )
                )
    cases.append(
        Case(
            f"bus drop_oldest buffer={SMALL_BUFFER} (lossy), batched publish_nowait, receive_batch",
            "bus",
            "batched",
            "receive_batch",
            "drop_oldest",
            buffer=SMALL_BUFFER,
        )
    )
    cases.append(
        Case(
            f"bus latest {FEW_TOPICS} topics (lossy), batched publish_nowait, receive_batch",
            "bus",
            "batched",
            "receive_batch",
            "latest",
            topics=FEW_TOPICS,
        )
    )
    return cases


RAW_CASES = [
    Case("raw anyio streams, await send, async for", "raw", "await", "async for"),
    Case(
        "raw anyio streams, batched send_nowait, receive_nowait drain",
        "raw",
        "batched",
        "receive_nowait",
    ),
]
AUTOGEN_CASE = Case("autogen-core SingleThreadedAgentRuntime, await publish_message", "autogen")


# -- our bus ---------------------------------------------------------------------------


async def _publish_each(bus: EventBus, events: int, topics: Sequence[str]) -> None:
    publish = bus.publish
    k = len(topics)
    for i in range(events):
        await publish(topics[i % k], EVENT)


async def _publish_batched(bus: EventBus, events: int, topics: Sequence[str]) -> None:
    publish_nowait = bus.publish_nowait
    k = len(topics)
    for start in range(0, events, CHUNK):
        for i in range(start, min(start + CHUNK, events)):
            topic = topics[i % k]
            try:
                publish_nowait(topic, EVENT)
            except anyio.WouldBlock:
                await bus.publish(topic, EVENT)
        await anyio.lowlevel.checkpoint()


async def _receive_batches(sub: Subscription) -> None:
    receive_batch = sub.receive_batch
    with contextlib.suppress(anyio.EndOfStream):
        while True:
            await receive_batch()


async def _iterate(sub: Subscription) -> None:
    async for _ in sub:
        pass


async def run_bus(case: Case, subscribers: int, events: int) -> tuple[int, int, float]:
    bus = EventBus()
    topics = TOPICS[: case.topics]
    publisher = _publish_each if case.publisher == "await" else _publish_batched
    consumer = _iterate if case.consumer == "async for" else _receive_batches
    # The subscriptions close before the task group waits: consumers drain what is
    # left, then end.
    async with anyio.create_task_group() as tg, contextlib.AsyncExitStack() as stack:
        subs = [
            await stack.enter_async_context(
                bus.subscribe(PATTERN, buffer=case.buffer, overflow=case.overflow)
            )
            for _ in range(subscribers)
        ]
        for sub in subs:
            tg.start_soon(consumer, sub)
        await anyio.wait_all_tasks_blocked()
        start = time.perf_counter()
        await publisher(bus, events, topics)
    elapsed = time.perf_counter() - start
    deliveries = sum(s.delivered for s in subs)
    drops = sum(s.dropped for s in subs)
    if deliveries + drops != events * subscribers:
        raise AssertionError(f"{case.variant}: {deliveries} + {drops} != {events * subscribers}")
    return deliveries, drops, elapsed


# -- raw anyio memory-object streams ---------------------------------------------------


async def _raw_iterate(stream: MemoryObjectReceiveStream[Event], counts: list[int], i: int) -> None:
    n = 0
    async with stream:
        async for _ in stream:
            n += 1
    counts[i] = n


async def _raw_drain(stream: MemoryObjectReceiveStream[Event], counts: list[int], i: int) -> None:
    n = 0
    receive, receive_nowait = stream.receive, stream.receive_nowait
    async with stream:
        while True:
            try:
                await receive()
            except anyio.EndOfStream:
                break
            n += 1
            try:
                while True:
                    receive_nowait()
                    n += 1
            except anyio.WouldBlock:
                pass
            except anyio.EndOfStream:
                break
    counts[i] = n


async def _raw_send_each(sends: Sequence[MemoryObjectSendStream[Event]], events: int) -> None:
    for _ in range(events):
        for send in sends:
            await send.send(EVENT)


async def _raw_send_batched(sends: Sequence[MemoryObjectSendStream[Event]], events: int) -> None:
    for start in range(0, events, CHUNK):
        for _ in range(start, min(start + CHUNK, events)):
            for send in sends:
                try:
                    send.send_nowait(EVENT)
                except anyio.WouldBlock:
                    await send.send(EVENT)
        await anyio.lowlevel.checkpoint()


async def run_raw(case: Case, subscribers: int, events: int) -> tuple[int, int, float]:
    streams = [anyio.create_memory_object_stream[Event](case.buffer) for _ in range(subscribers)]
    sends = [send for send, _ in streams]
    counts = [0] * subscribers
    consumer = _raw_iterate if case.consumer == "async for" else _raw_drain
    publisher = _raw_send_each if case.publisher == "await" else _raw_send_batched
    async with anyio.create_task_group() as tg:
        for i, (_, receive) in enumerate(streams):
            tg.start_soon(consumer, receive, counts, i)
        await anyio.wait_all_tasks_blocked()
        start = time.perf_counter()
        await publisher(sends, events)
        for send in sends:
            send.close()
    elapsed = time.perf_counter() - start
    if sum(counts) != events * subscribers:
        raise AssertionError(f"{case.variant}: {sum(counts)} != {events * subscribers}")
    return sum(counts), 0, elapsed


# -- autogen-core ----------------------------------------------------------------------


@dataclass
class AutogenTick:
    n: int


if autogen_core is not None:

    class AutogenSink(autogen_core.RoutedAgent):
        def __init__(self, counter: list[int]) -> None:
            super().__init__("benchmark sink")
            self.counter = counter

        @autogen_core.message_handler
        async def on_tick(self, message: AutogenTick, ctx: autogen_core.MessageContext) -> None:
            self.counter[0] += 1


async def run_autogen(case: Case, subscribers: int, events: int) -> tuple[int, int, float]:
    assert autogen_core is not None
    runtime = autogen_core.SingleThreadedAgentRuntime()
    counter = [0]
    for i in range(subscribers):
        agent_type = f"sink{i}"
        await AutogenSink.register(runtime, agent_type, lambda: AutogenSink(counter))
        await runtime.add_subscription(autogen_core.TypeSubscription("bench", agent_type))
    topic = autogen_core.TopicId("bench", "default")
    # Agents are created on their first message: do that before timing.
    runtime.start()
    await runtime.publish_message(AutogenTick(-1), topic)
    await runtime.stop_when_idle()
    counter[0] = 0
    runtime.start()
    start = time.perf_counter()
    for i in range(events):
        await runtime.publish_message(AutogenTick(i), topic)
    await runtime.stop_when_idle()
    elapsed = time.perf_counter() - start
    await runtime.close()
    if counter[0] != events * subscribers:
        raise AssertionError(f"{case.variant}: {counter[0]} != {events * subscribers}")
    return counter[0], 0, elapsed


# -- running ---------------------------------------------------------------------------

Runner = Callable[[Case, int, int], Awaitable[tuple[int, int, float]]]
RUNNERS: dict[str, Runner] = {"bus": run_bus, "raw": run_raw, "autogen": run_autogen}


LOG_LINES: collections.Counter[str] = collections.Counter()


def count_and_discard(_logger: Any, _method: str, event_dict: Any) -> Any:
    """structlog processor: the bus's drop warnings are counted, not printed (no I/O
    in the timed loop; a burst-per-chunk overload would otherwise flood the terminal)."""
    LOG_LINES[event_dict["event"]] += 1
    raise structlog.DropEvent


def run_once(case: Case, backend: Backend, subscribers: int, events: int) -> Result:
    gc.collect()
    logged = LOG_LINES.total()
    deliveries, drops, seconds = anyio.run(
        RUNNERS[case.kind], case, subscribers, events, backend=backend
    )
    return Result(
        backend,
        subscribers,
        case.variant,
        events,
        deliveries,
        drops,
        seconds,
        LOG_LINES.total() - logged,
    )


def measure(
    case: Case, backend: Backend, subscribers: int, settings: Settings
) -> tuple[Result, list[float]]:
    """Best of ``repeats`` runs (highest rate), each auto-sized to ``min_time``.

    Auto-sizing grows the event count until a run lasts ``min_time``; that run
    counts as the first repeat, the others get 30% more room.
    """
    events = settings.events
    runs: list[Result] = []
    if events is None:
        events = max(1, 2_000 // subscribers)
        while True:
            probe = run_once(case, backend, subscribers, events)
            if probe.seconds >= settings.min_time:
                break
            grow = 1.3 * settings.min_time / max(probe.seconds, 1e-4)
            events = int(events * min(max(grow, 2.0), 50.0))
        runs.append(probe)
        if probe.seconds < 1.3 * settings.min_time:
            events = math.ceil(events * 1.3 * settings.min_time / probe.seconds)
    while len(runs) < settings.repeats:
        runs.append(run_once(case, backend, subscribers, events))
    long_enough = [r for r in runs if r.seconds >= settings.min_time] or runs
    return max(long_enough, key=lambda r: r.rate), [r.rate for r in runs]


@dataclass(frozen=True)
class Settings:
    events: int | None
    min_time: float
    repeats: int
    backends: tuple[Backend, ...]
    subscribers: tuple[int, ...]
    autogen: bool
    out: str


def run_all(settings: Settings, console: Console) -> tuple[list[Result], dict[str, list[float]]]:
    results: list[Result] = []
    rates: dict[str, list[float]] = {}
    for subscribers in settings.subscribers:
        for backend in settings.backends:
            cases = [*bus_cases(), *RAW_CASES]
            if backend == "asyncio" and settings.autogen and autogen_core is not None:
                cases.append(AUTOGEN_CASE)
            for case in cases:
                result, all_rates = measure(case, backend, subscribers, settings)
                results.append(result)
                rates[f"{backend}/{subscribers}/{case.variant}"] = all_rates
                console.print(
                    f"  {backend:7} x{subscribers:<3} {case.variant:86} "
                    f"{result.rate:>12,.0f}/s  drops {result.drops:,}",
                    highlight=False,
                )
    return results, rates


def goals(results: Sequence[Result]) -> dict[str, Any]:
    def best(backend: str, predicate: Callable[[str], bool]) -> Result | None:
        rows = [
            r
            for r in results
            if r.backend == backend and r.subscribers == FANOUT and predicate(r.variant)
        ]
        return max(rows, key=lambda r: r.rate, default=None)

    autogen = best("asyncio", lambda v: v == AUTOGEN_CASE.variant)
    out: dict[str, Any] = {}
    for backend in ("trio", "asyncio"):
        ours = best(backend, lambda v: v.startswith("bus block, batched"))
        raw = best(backend, lambda v: v == RAW_CASES[1].variant)
        if ours is None or raw is None:
            continue
        entry: dict[str, Any] = {
            "ours_variant": ours.variant,
            "ours_rate": ours.rate,
            "raw_batched_rate": raw.rate,
            "ours_over_raw_batched": ours.rate / raw.rate,
            "raw_goal": RAW_GOAL,
            "raw_goal_met": ours.rate / raw.rate >= RAW_GOAL,
        }
        if autogen is not None:
            entry |= {
                "autogen_asyncio_rate": autogen.rate,
                "ours_over_autogen_asyncio": ours.rate / autogen.rate,
                "autogen_goal": AUTOGEN_GOAL,
                "autogen_goal_met": ours.rate / autogen.rate >= AUTOGEN_GOAL,
            }
        out[backend] = entry
    return out


def results_table(results: Sequence[Result]) -> Table:
    table = Table(title="Bus fan-out, 1 publisher, deliveries per second", box=box.SIMPLE_HEAD)
    for name in (
        "backend",
        "subs",
        "variant",
        "events",
        "deliveries/s",
        "drops",
        "offered/s",
        "log lines",
        "s",
    ):
        table.add_column(name, justify="left" if name in ("backend", "variant") else "right")
    for r in results:
        table.add_row(
            r.backend,
            str(r.subscribers),
            r.variant,
            f"{r.events:,}",
            f"{r.rate:,.0f}",
            f"{r.drops:,}",
            f"{r.offered_rate:,.0f}" if r.drops else "",
            f"{r.drop_log_lines:,}",
            f"{r.seconds:.2f}",
        )
    return table


def goals_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"Goals, fan-out to {FANOUT}", box=box.SIMPLE_HEAD)
    for name in (
        "backend",
        "ours (best batched block)/s",
        "raw batched/s",
        f"ours/raw (>= {RAW_GOAL})",
        "autogen (asyncio)/s",
        f"ours/autogen (>= {AUTOGEN_GOAL:g}x)",
    ):
        table.add_column(name, justify="left" if name == "backend" else "right")
    for backend, g in summary.items():
        autogen = "autogen_asyncio_rate" in g
        table.add_row(
            backend,
            f"{g['ours_rate']:,.0f}",
            f"{g['raw_batched_rate']:,.0f}",
            f"{g['ours_over_raw_batched']:.2f} {'ok' if g['raw_goal_met'] else 'MISSED'}",
            f"{g['autogen_asyncio_rate']:,.0f}" if autogen else "skipped",
            f"{g['ours_over_autogen_asyncio']:.1f}x {'ok' if g['autogen_goal_met'] else 'MISSED'}"
            if autogen
            else "skipped",
        )
    return table


def machine_info() -> dict[str, Any]:
    return _report.machine_info("autogen-core")


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help="events published per run (default: auto-sized to --min-time)",
    )
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds per auto-sized run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per case (best kept)")
    parser.add_argument("--backend", choices=("trio", "asyncio", "both"), default="both")
    parser.add_argument("--subscribers", default=f"1,{FANOUT}", help="comma-separated fan-outs")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/bus_throughput.json"))
    parser.add_argument("--no-autogen", action="store_true", help="skip autogen-core")
    args = _report.parse_args(
        parser, argv, min_time=0.05, repeats=1, subscribers="1", no_autogen=True
    )
    if (args.events is not None and args.events < 1) or args.repeats < 1 or args.min_time <= 0:
        parser.error("--events and --repeats must be >= 1, --min-time > 0")
    backends: tuple[Backend, ...] = (
        ("trio", "asyncio") if args.backend == "both" else (args.backend,)
    )
    return Settings(
        events=args.events,
        min_time=args.min_time,
        repeats=args.repeats,
        backends=backends,
        subscribers=tuple(int(s) for s in args.subscribers.split(",")),
        autogen=not args.no_autogen,
        out=str(args.out),
    )


def main() -> None:
    settings = parse_args()
    structlog.configure(processors=[count_and_discard])
    console = Console(width=None if sys.stdout.isatty() else 200)
    if not settings.autogen:
        autogen_status = "skipped (--no-autogen)"
    elif autogen_core is None:
        autogen_status = (
            "skipped: autogen-core is not installed "
            "(install the bench extra: uv sync --locked --extra bench)"
        )
    elif "asyncio" not in settings.backends:
        autogen_status = "skipped: autogen-core runs on asyncio only"
    else:
        autogen_status = f"autogen-core {importlib.metadata.version('autogen-core')}"
    console.print(f"autogen-core: {autogen_status}", highlight=False)
    started = time.perf_counter()
    load_before = os.getloadavg()
    results, rates = run_all(settings, console)
    summary = goals(results)
    console.print()
    console.print(results_table(results))
    console.print(goals_table(summary))

    out = _report.destination(Path(settings.out)) or Path(settings.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "label": "real wall-clock throughput; no LLM involved, nothing simulated",
        "command": shlex.join(sys.orig_argv),
        "cwd": os.getcwd(),
        "machine": machine_info(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "settings": dataclasses.asdict(settings),
        "constants": {
            "buffer": BUFFER,
            "chunk": CHUNK,
            "small_buffer": SMALL_BUFFER,
            "few_topics": FEW_TOPICS,
            "topics": len(TOPICS),
            "pattern": PATTERN,
        },
        "autogen": autogen_status,
        "definitions": {
            "delivery": "one event handed to one subscriber (autogen: one handler call)",
            "deliveries_per_s": "deliveries / wall time from the first publish until every "
            "consumer has drained (best of --repeats runs)",
            "drops": "events discarded by the subscribers' overflow policy",
            "offered_per_s": "(deliveries + drops) / wall time: the publisher-side rate",
            "drop_log_lines": "bus_subscriber_dropping/caught_up warnings emitted (one pair "
            "per subscriber per burst; counted by a structlog processor, not printed)",
        },
        "results": [
            {
                **dataclasses.asdict(r),
                "deliveries_per_s": r.rate,
                "offered_per_s": r.offered_rate,
                "rates_of_all_runs": rates[f"{r.backend}/{r.subscribers}/{r.variant}"],
            }
            for r in results
        ],
        "goals": summary,
        "total_seconds": time.perf_counter() - started,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {out} in {report['total_seconds']:.0f} s", highlight=False)


if __name__ == "__main__":
    main()
