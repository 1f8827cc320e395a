"""Planner decision latency and per-call framework overhead, on the SIMULATED LLM.

Measures, in real wall time, two of the performance goals in docs/architecture.md:

1. Decision latency of one ``BeamPlanner.plan`` from a Game of 24 start state
   (4 numbers, so 3 levels) with the sim's latency fixed at L: within 5% of the
   critical path ``levels x 2 stages x L``, and a speed-up over the same search
   run with ``max_concurrency=1`` of at least half the concurrent calls per
   level (mean calls per sequential stage).
2. Framework overhead per LLM call with all middleware on and the sim at zero
   latency: tens of microseconds.

The LLM is the SIMULATED LLM (``rafa_async.llm.SimLLM``); its latency is an
``anyio.sleep``, its answers come from the Game of 24 oracle, computed on the
benchmark's own event loop.  A *replayed* mode (the sim's recorded answers
after the same sleep) shows the planner without the oracle's CPU, as with a
real, remote LLM.  Sequential runs take ``calls x L`` each, so by default only
``--compare-ranks`` get them.

    .venv/bin/python benchmarks/planner_latency.py
    .venv/bin/python benchmarks/planner_latency.py --latency 0.1 --repeats 5 --backend both

Writes every figure to ``--out`` (JSON) and a short cProfile of the
zero-latency path to ``planner_latency_profile.txt`` beside it.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import shlex
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import _report
import anyio
import anyio.lowlevel
import msgspec
from rich import box
from rich.console import Console
from rich.table import Table

from rafa_async import EventRecorder, NullSink
from rafa_async.llm import (
    LLM,
    SIM_LABEL,
    ChatRequest,
    ChatResponse,
    LatencyModel,
    MiddlewareStack,
    NoiseModel,
    SimLLM,
)
from rafa_async.planners import BeamPlanner
from rafa_async.scenarios.game24 import (
    Game24Env,
    Game24Oracle,
    Game24World,
    Puzzle,
    puzzles,
)

Backend = Literal["trio", "asyncio"]
Mode = Literal["concurrent", "sequential", "replayed"]

NOISE = NoiseModel(malformed_rate=0.0)
"""Proposals always parse, so every search goes 3 levels deep."""

ZERO_LATENCY = LatencyModel(scale=0.0)
CONCURRENT_LIMIT = 1024
STAGES_PER_LEVEL = 2  # all proposals of a level, then all evaluations
RATIO_GOAL = 1.05
OVERHEAD_GOAL_US = 100.0  # "tens of microseconds, not milliseconds"
SCENARIO = "game24"
WORLD = Game24World()
LEGEND = """\
bound = levels x 2 stages x L (the critical path); calls x L = the sequential lower bound.
replayed = the sim's recorded answers replayed after sleeping L: the same search without the
  oracle's CPU on the event loop (a real LLM computes elsewhere).
excess = wall - bound: on one event loop, each stage's calls' CPU (sim oracle + framework)
  runs one after another, so excess ~ CPU per plan + timer wake-ups + machine contention.
searches = distinct searches among the repeats (>1: the plan depended on scheduling order).
speed-up goal = half the calls per stage (calls / (levels x 2)).
middleware (direct) = stack around an instant LLM minus the instant LLM alone."""


class Search(msgspec.Struct, frozen=True):
    n_generate: int
    n_evaluate: int
    beam: int


SEARCHES = (Search(10, 3, 1), Search(10, 3, 2))


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    latency: float
    repeats: int
    sequential_repeats: int
    overhead_rounds: int
    backends: tuple[Backend, ...]
    ranks: str
    compare_ranks: str
    out: str


class PlanRun(msgspec.Struct, frozen=True, kw_only=True):
    wall: float
    cpu: float
    calls: int
    failed: int
    levels: int
    peak: int
    actions: tuple[str, ...]


class SearchOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """One distinct search seen among a measurement's repeats."""

    calls: int
    levels: int
    actions: tuple[str, ...]
    runs: int


class DecisionRow(msgspec.Struct, frozen=True, kw_only=True):
    """Medians over ``repeats`` plans; ``searches`` lists the distinct searches seen."""

    backend: Backend
    search: Search
    rank: int
    numbers: tuple[int, ...]
    mode: Mode
    repeats: int
    calls: float
    failed: int
    levels: int
    peak_concurrency: int
    wall_median_s: float
    wall_min_s: float
    wall_max_s: float
    cpu_median_s: float
    critical_path_bound_s: float
    ratio_to_bound: float
    sequential_lower_bound_s: float
    replay_misses: int
    searches: list[SearchOutcome]


class SpeedupRow(msgspec.Struct, frozen=True, kw_only=True):
    backend: Backend
    search: Search
    rank: int
    concurrent_wall_s: float
    sequential_wall_s: float
    speedup: float
    calls_per_stage: float
    goal: float
    meets_goal: bool
    same_search: bool


class OverheadRow(msgspec.Struct, frozen=True, kw_only=True):
    """Microseconds per call: the best of ``rounds`` interleaved rounds (as timeit)."""

    backend: Backend
    requests: int
    rounds: int
    sim_us: float
    sim_stack_us: float
    middleware_us: float
    instant_us: float
    instant_stack_us: float
    middleware_direct_us: float
    planner_us: float
    planner_only_us: float
    meets_goal: bool
    medians_us: dict[str, float]


# -- LLM wrappers used only by the benchmark ----------------------------------


class Recording:
    """Passes calls through and keeps every request and its answer."""

    def __init__(self, inner: LLM) -> None:
        self._inner = inner
        self.requests: list[ChatRequest] = []
        self.answers: dict[ChatRequest, ChatResponse] = {}

    async def complete(self, request: ChatRequest) -> ChatResponse:
        response = await self._inner.complete(request)
        self.requests.append(request)
        self.answers[request] = response
        return response


class Replay:
    """The sim's recorded answers after a fixed sleep: the same search, no oracle CPU.

    A request off the tape (the search took another path) is answered by a
    zero-latency sim, added to the tape, and counted in ``misses``.
    """

    def __init__(self, recording: Recording, seconds: float) -> None:
        self._answers = recording.answers
        self._fallback = sim(ZERO_LATENCY)
        self._seconds = seconds
        self.misses = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        response = self._answers.get(request)
        if response is None:
            self.misses += 1
            response = self._answers[request] = await self._fallback.complete(request)
        await anyio.sleep(self._seconds)
        return response


class Instant:
    """Answers at once (one checkpoint, like the sim at zero latency): pure overhead."""

    _response = ChatResponse(text="sure", model="instant", simulated=True)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        await anyio.lowlevel.checkpoint()
        return self._response


def sim(latency: LatencyModel) -> SimLLM:
    return SimLLM({SCENARIO: Game24Oracle()}, noise=NOISE, latency=latency)


def full_stack(provider: LLM, max_concurrency: int) -> MiddlewareStack:
    """Limit, timeout, retry, meter and trace (to a NullSink-backed recorder)."""
    return MiddlewareStack(
        provider, max_concurrency=max_concurrency, recorder=EventRecorder(NullSink())
    )


# -- decision latency ---------------------------------------------------------


async def run_plan(stack: MiddlewareStack, search: Search, puzzle: Puzzle) -> PlanRun:
    planner = BeamPlanner(
        stack,
        WORLD,
        n_generate=search.n_generate,
        n_evaluate=search.n_evaluate,
        beam=search.beam,
    )
    state = Game24Env(puzzle.numbers).reset()
    wall, cpu = time.perf_counter(), time.process_time()
    plan = await planner.plan(state, ())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return PlanRun(
        wall=wall,
        cpu=cpu,
        calls=plan.stats.llm_calls,
        failed=plan.stats.failed_calls,
        levels=plan.stats.levels,
        peak=stack.limit.peak,
        actions=tuple(plan.actions),
    )


async def record_answers(puzzle_list: Sequence[Puzzle]) -> Recording:
    """Every request (and answer) of every search, at zero latency; also warms caches."""
    recording = Recording(sim(ZERO_LATENCY))
    for search in SEARCHES:
        for puzzle in puzzle_list:
            await run_plan(full_stack(recording, CONCURRENT_LIMIT), search, puzzle)
    return recording


def provider_for(mode: Mode, latency: float, recording: Recording) -> tuple[LLM, int]:
    if mode == "replayed":
        return Replay(recording, latency), CONCURRENT_LIMIT
    limit = 1 if mode == "sequential" else CONCURRENT_LIMIT
    return sim(LatencyModel.fixed(latency)), limit


def distinct_searches(runs: Sequence[PlanRun]) -> list[SearchOutcome]:
    """The searches seen, most frequent first.

    More than one means the search depends on scheduling: ``BeamPlanner`` sums
    a node's value samples in completion order, float addition is not
    associative, and trio randomises the order of tasks woken together.
    """
    counts = collections.Counter((r.calls, r.levels, r.actions) for r in runs)
    return [
        SearchOutcome(calls=calls, levels=levels, actions=actions, runs=n)
        for (calls, levels, actions), n in counts.most_common()
    ]


async def measure_decision(
    backend: Backend,
    search: Search,
    puzzle: Puzzle,
    mode: Mode,
    *,
    latency: float,
    repeats: int,
    recording: Recording,
) -> DecisionRow:
    runs = []
    misses = 0
    for _ in range(repeats):
        provider, limit = provider_for(mode, latency, recording)
        runs.append(await run_plan(full_stack(provider, limit), search, puzzle))
        misses += provider.misses if isinstance(provider, Replay) else 0
    walls = [r.wall for r in runs]
    bounds = [r.levels * STAGES_PER_LEVEL * latency for r in runs]
    calls = statistics.median(r.calls for r in runs)
    return DecisionRow(
        backend=backend,
        search=search,
        rank=puzzle.rank,
        numbers=puzzle.numbers,
        mode=mode,
        repeats=repeats,
        calls=calls,
        failed=sum(r.failed for r in runs),
        levels=max(r.levels for r in runs),
        peak_concurrency=max(r.peak for r in runs),
        wall_median_s=statistics.median(walls),
        wall_min_s=min(walls),
        wall_max_s=max(walls),
        cpu_median_s=statistics.median(r.cpu for r in runs),
        critical_path_bound_s=statistics.median(bounds),
        ratio_to_bound=statistics.median(w / b for w, b in zip(walls, bounds, strict=True)),
        sequential_lower_bound_s=calls * latency,
        replay_misses=misses,
        searches=distinct_searches(runs),
    )


def speedup(concurrent: DecisionRow, sequential: DecisionRow) -> SpeedupRow:
    calls_per_stage = concurrent.calls / (concurrent.levels * STAGES_PER_LEVEL)
    ratio = sequential.wall_median_s / concurrent.wall_median_s
    return SpeedupRow(
        backend=concurrent.backend,
        search=concurrent.search,
        rank=concurrent.rank,
        concurrent_wall_s=concurrent.wall_median_s,
        sequential_wall_s=sequential.wall_median_s,
        speedup=ratio,
        calls_per_stage=calls_per_stage,
        goal=calls_per_stage / 2,
        meets_goal=ratio >= calls_per_stage / 2,
        same_search=all(
            (s.calls, s.actions) in {(c.calls, c.actions) for c in concurrent.searches}
            for s in sequential.searches
        ),
    )


async def decision_rows(
    backend: Backend, settings: Settings, recording: Recording
) -> list[DecisionRow]:
    compare = {p.rank for p in puzzles(settings.compare_ranks)} if settings.compare_ranks else set()
    rows = []
    for search in SEARCHES:
        for puzzle in puzzles(settings.ranks):
            modes: list[tuple[Mode, int]] = [("concurrent", settings.repeats)]
            if puzzle.rank in compare:
                modes.append(("replayed", settings.repeats))
                modes.append(("sequential", settings.sequential_repeats))
            for mode, repeats in modes:
                row = await measure_decision(
                    backend,
                    search,
                    puzzle,
                    mode,
                    latency=settings.latency,
                    repeats=repeats,
                    recording=recording,
                )
                rows.append(row)
                print(
                    f"  {backend} b={search.beam} rank {puzzle.rank} {mode}: "
                    f"{row.wall_median_s:.4f} s",
                    flush=True,
                )
    return rows


def speedup_rows(rows: Sequence[DecisionRow]) -> list[SpeedupRow]:
    def key(r: DecisionRow) -> tuple[str, Search, int]:
        return (r.backend, r.search, r.rank)

    concurrent = {key(r): r for r in rows if r.mode == "concurrent"}
    return [speedup(concurrent[key(r)], r) for r in rows if r.mode == "sequential"]


# -- per-call overhead at zero latency ----------------------------------------


async def per_call_us(llm: LLM, requests: Sequence[ChatRequest]) -> float:
    """Mean microseconds per call, calls issued one after another from one task."""
    started = time.perf_counter()
    for request in requests:
        await llm.complete(request)
    return (time.perf_counter() - started) / len(requests) * 1e6


async def planner_us(puzzle_list: Sequence[Puzzle]) -> float:
    """Microseconds per LLM call of whole plans (full stack, zero latency)."""
    wall = 0.0
    calls = 0
    for search in SEARCHES:
        for puzzle in puzzle_list:
            run = await run_plan(full_stack(sim(ZERO_LATENCY), CONCURRENT_LIMIT), search, puzzle)
            wall += run.wall
            calls += run.calls
    return wall / calls * 1e6


async def overhead_row(
    backend: Backend, rounds: int, puzzle_list: Sequence[Puzzle], recording: Recording
) -> OverheadRow:
    """Per-call costs at zero latency.

    Rounds interleave the measures, so drifting machine load hits all alike; the
    best round is reported, because on a shared machine slower rounds measure
    the neighbours (medians are kept too).
    """
    requests = recording.requests
    bare_sim = sim(ZERO_LATENCY)
    instant = Instant()
    measures: dict[str, Callable[[], Awaitable[float]]] = {
        "sim": lambda: per_call_us(bare_sim, requests),
        "sim_stack": lambda: per_call_us(full_stack(bare_sim, CONCURRENT_LIMIT), requests),
        "instant": lambda: per_call_us(instant, requests),
        "instant_stack": lambda: per_call_us(full_stack(instant, CONCURRENT_LIMIT), requests),
        "planner": lambda: planner_us(puzzle_list),
    }
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            samples[name].append(await measure())
    us = {name: min(values) for name, values in samples.items()}
    middleware = us["sim_stack"] - us["sim"]
    return OverheadRow(
        backend=backend,
        requests=len(requests),
        rounds=rounds,
        sim_us=us["sim"],
        sim_stack_us=us["sim_stack"],
        middleware_us=middleware,
        instant_us=us["instant"],
        instant_stack_us=us["instant_stack"],
        middleware_direct_us=us["instant_stack"] - us["instant"],
        planner_us=us["planner"],
        planner_only_us=us["planner"] - us["sim_stack"],
        meets_goal=middleware <= OVERHEAD_GOAL_US,
        medians_us={name: statistics.median(values) for name, values in samples.items()},
    )


_AREAS = (
    ("rafa_async/llm/_sim.py", "sim provider (_sim.py)"),
    ("game24/_oracle.py", "game24 oracle (_oracle.py)"),
    ("game24/_arith.py", "game24 arithmetic (_arith.py; oracle + parsing)"),
    ("game24/", "game24 world/prompts/parsers/state"),
    ("fractions.py", "stdlib fractions"),
    ("rafa_async/llm/middleware/", "middleware"),
    ("rafa_async/_events.py", "events/recorder"),
    ("rafa_async/planners/", "planner"),
    ("site-packages/anyio/", "anyio"),
    ("site-packages/trio/", "trio"),
    ("asyncio/", "asyncio"),
)


_WORLD_CALLS = frozenset(
    {"propose_request", "evaluate_request", "parse_proposal", "parse_value", "key", "is_terminal"}
)


def _entries(stats: pstats.Stats) -> dict[tuple[str, int, str], tuple[Any, ...]]:
    return stats.stats  # type: ignore[attr-defined,no-any-return]


def inclusive(stats: pstats.Stats, file_part: str, names: frozenset[str]) -> float:
    """Cumulative seconds spent in the named functions of one file."""
    return sum(
        float(entry[3])
        for (filename, _, name), entry in _entries(stats).items()
        if file_part in filename and name in names
    )


def outermost(stats: pstats.Stats, file_part: str, name: str) -> float:
    """Cumulative seconds of the outermost of several same-named functions (nested layers)."""
    return max(
        float(entry[3])
        for (filename, _, function), entry in _entries(stats).items()
        if file_part in filename and function == name
    )


def inclusive_split(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Where the zero-latency time goes, by caller-inclusive time of the entry points."""
    total: float = stats.total_tt  # type: ignore[attr-defined]
    provider = inclusive(stats, "rafa_async/llm/_sim.py", frozenset({"complete"}))
    oracle = inclusive(stats, "game24/_oracle.py", frozenset({"respond"}))
    stack = outermost(stats, "rafa_async/llm/middleware/", "complete")
    world = inclusive(stats, "game24/_world.py", _WORLD_CALLS)
    return [
        ("sim provider incl. oracle (SimLLM.complete)", provider),
        ("  of which the oracle (Game24Oracle.respond)", oracle),
        ("middleware stack, provider excluded", stack - provider),
        ("game24 world: build requests, parse answers", world),
        ("planner tasks, event loop, rest", total - stack - world),
    ]


def tottime_by_area(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (``tottime``) seconds grouped by where the code lives."""
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, *_) in _entries(stats).items():
        area = next((name for part, name in _AREAS if part in filename), "other (stdlib, builtins)")
        totals[area] = totals.get(area, 0.0) + tottime
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)


async def profile_text(backend: Backend, puzzle_list: Sequence[Puzzle]) -> str:
    """cProfile of zero-latency plans through the full stack, as text."""
    profiler = cProfile.Profile()
    calls = 0
    profiler.enable()
    for search in SEARCHES:
        for puzzle in puzzle_list:
            run = await run_plan(full_stack(sim(ZERO_LATENCY), CONCURRENT_LIMIT), search, puzzle)
            calls += run.calls
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    out.write(f"=== {backend}: {calls} LLM calls (zero-latency plans, full stack) ===\n")
    out.write(f"total {total:.3f} s under cProfile = {total / calls * 1e6:.0f} us/call\n\n")
    out.write("inclusive split (s, us/call, % of total):\n")
    for part, seconds in inclusive_split(stats):
        per_call = seconds / calls * 1e6
        out.write(f"  {part:<50} {seconds:7.3f} {per_call:7.0f}  {100 * seconds / total:5.1f}%\n")
    out.write("\nown time (tottime) by where the code lives (s, % of total):\n")
    for area, seconds in tottime_by_area(stats):
        out.write(f"  {area:<50} {seconds:7.3f}  {100 * seconds / total:5.1f}%\n")
    out.write("\n")
    stats.sort_stats(pstats.SortKey.CUMULATIVE).print_stats(10)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(10)
    return out.getvalue()


# -- one backend --------------------------------------------------------------


class BackendResult(msgspec.Struct, kw_only=True):
    decision: list[DecisionRow]
    speedup: list[SpeedupRow]
    overhead: OverheadRow
    profile: str = ""


async def run_backend(backend: Backend, settings: Settings) -> BackendResult:
    puzzle_list = puzzles(settings.ranks)
    recording = await record_answers(puzzle_list)
    print(f"[{backend}] decision latency (L={settings.latency:g} s)", flush=True)
    decision = await decision_rows(backend, settings, recording)
    print(f"[{backend}] per-call overhead at zero latency", flush=True)
    overhead = await overhead_row(backend, settings.overhead_rounds, puzzle_list, recording)
    profile = await profile_text(backend, puzzle_list)
    return BackendResult(
        decision=decision,
        speedup=speedup_rows(decision),
        overhead=overhead,
        profile=profile,
    )


# -- report -------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"


def decision_table(rows: Sequence[DecisionRow], latency: float) -> Table:
    table = Table(
        title=f"Decision latency of one plan, L = {latency:g} s fixed (SIMULATED LLM)",
        box=box.SIMPLE_HEAD,
    )
    for name in (
        "backend",
        "b",
        "rank",
        "mode",
        "calls",
        "levels",
        "searches",
        "peak conc.",
        "wall med (s)",
        "wall min (s)",
        "cpu med (s)",
        "bound (s)",
        "wall/bound",
        f"<= {RATIO_GOAL}",
        "excess (ms)",
        "calls x L (s)",
    ):
        table.add_column(name, justify="left" if name in ("backend", "mode") else "right")
    for r in rows:
        concurrent = r.mode != "sequential"
        table.add_row(
            r.backend,
            str(r.search.beam),
            str(r.rank),
            r.mode,
            f"{r.calls:g}",
            str(r.levels),
            str(len(r.searches)),
            str(r.peak_concurrency),
            f"{r.wall_median_s:.4f}",
            f"{r.wall_min_s:.4f}",
            f"{r.cpu_median_s:.4f}",
            f"{r.critical_path_bound_s:.3f}",
            f"{r.ratio_to_bound:.3f}",
            _mark(r.ratio_to_bound <= RATIO_GOAL) if concurrent else "-",
            f"{(r.wall_median_s - r.critical_path_bound_s) * 1e3:.1f}" if concurrent else "-",
            f"{r.sequential_lower_bound_s:.2f}",
        )
    return table


def speedup_table(rows: Sequence[SpeedupRow]) -> Table:
    table = Table(title="Speed-up, concurrent vs sequential (same search)", box=box.SIMPLE_HEAD)
    for name in (
        "backend",
        "b",
        "rank",
        "concurrent (s)",
        "sequential (s)",
        "speed-up",
        "calls/stage",
        "goal >=",
        "ok",
        "same search",
    ):
        table.add_column(name, justify="left" if name == "backend" else "right")
    for r in rows:
        table.add_row(
            r.backend,
            str(r.search.beam),
            str(r.rank),
            f"{r.concurrent_wall_s:.4f}",
            f"{r.sequential_wall_s:.3f}",
            f"{r.speedup:.2f}x",
            f"{r.calls_per_stage:.2f}",
            f"{r.goal:.2f}x",
            _mark(r.meets_goal),
            _mark(r.same_search),
        )
    return table


def overhead_table(rows: Sequence[OverheadRow]) -> Table:
    table = Table(
        title="Per-call cost at zero latency, us, best of interleaved rounds (SIMULATED LLM)",
        box=box.SIMPLE_HEAD,
    )
    for name in (
        "backend",
        "(a) bare sim",
        "(b) sim + stack",
        "middleware (b)-(a)",
        "instant",
        "instant + stack",
        "middleware (direct)",
        "(c) planner",
        "planner-only (c)-(b)",
        f"mw <= {OVERHEAD_GOAL_US:g}",
    ):
        table.add_column(name, justify="left" if name == "backend" else "right")
    for r in rows:
        table.add_row(
            r.backend,
            f"{r.sim_us:.1f}",
            f"{r.sim_stack_us:.1f}",
            f"{r.middleware_us:.1f}",
            f"{r.instant_us:.1f}",
            f"{r.instant_stack_us:.1f}",
            f"{r.middleware_direct_us:.1f}",
            f"{r.planner_us:.1f}",
            f"{r.planner_only_us:.1f}",
            _mark(r.meets_goal),
        )
    return table


def machine_info() -> dict[str, Any]:
    return _report.machine_info()


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.1, help="fixed sim latency L (s)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement")
    parser.add_argument("--backend", choices=("trio", "asyncio", "both"), default="both")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/planner_latency.json"))
    parser.add_argument("--ranks", default="901-905", help="Game of 24 puzzle ranks to plan on")
    parser.add_argument(
        "--compare-ranks",
        default="901",
        help="ranks also planned sequentially (slow: calls x L each) and with replayed answers; "
        "'' for none",
    )
    parser.add_argument("--sequential-repeats", type=int, default=1)
    parser.add_argument("--overhead-rounds", type=int, default=10, help="zero-latency rounds")
    args = _report.parse_args(
        parser,
        argv,
        latency=0.01,
        repeats=1,
        backend="trio",
        ranks="901",
        overhead_rounds=1,
    )
    if args.latency <= 0 or min(args.repeats, args.sequential_repeats, args.overhead_rounds) < 1:
        parser.error("--latency must be > 0 and the repeat counts >= 1")
    backends: tuple[Backend, ...] = (
        ("trio", "asyncio") if args.backend == "both" else (args.backend,)
    )
    return Settings(
        latency=args.latency,
        repeats=args.repeats,
        sequential_repeats=args.sequential_repeats,
        overhead_rounds=args.overhead_rounds,
        backends=backends,
        ranks=args.ranks,
        compare_ranks=args.compare_ranks,
        out=str(args.out),
    )


def main() -> None:
    settings = parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()
    print(SIM_LABEL)
    print(f"noise: {NOISE!r}\n", flush=True)
    results = {
        backend: anyio.run(run_backend, backend, settings, backend=backend)
        for backend in settings.backends
    }
    decision = [row for r in results.values() for row in r.decision]
    speedups = [row for r in results.values() for row in r.speedup]
    overheads = [r.overhead for r in results.values()]

    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print()
    console.print(decision_table(decision, settings.latency))
    console.print(speedup_table(speedups))
    console.print(overhead_table(overheads))
    console.print(LEGEND, highlight=False)
    console.print(f"[bold]{SIM_LABEL}[/]", highlight=False)

    out = _report.destination(Path(settings.out)) or Path(settings.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    profile_path = out.with_name(f"{out.stem}_profile.txt")
    profile_path.write_text("\n".join(r.profile for r in results.values()))
    report = {
        "label": SIM_LABEL,
        "simulated": True,
        "command": shlex.join(sys.orig_argv),
        "cwd": os.getcwd(),
        "machine": machine_info(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "settings": settings,
        "noise_model": NOISE,
        "latency_model": {  # LatencyModel.fixed(L); JSON has no infinity
            **msgspec.structs.asdict(LatencyModel.fixed(settings.latency)),
            "tokens_per_s": "inf",
        },
        "middleware": "Traced(EventRecorder(NullSink)) -> UsageMeter -> Retry(4) -> "
        f"Timeout(120 s) -> ConcurrencyLimit({CONCURRENT_LIMIT} or 1) -> provider",
        "definitions": {
            "critical_path_bound_s": "plan.stats.levels x 2 sequential stages x L",
            "sequential_lower_bound_s": "calls x L",
            "calls_per_stage": "calls / (levels x 2): the concurrent calls per level's stage",
            "speedup_goal": "speed-up >= calls_per_stage / 2",
            "replayed": "the sim's recorded answers replayed after sleeping L: same search, "
            "no oracle CPU on the event loop",
            "middleware_us": "(sim + full stack) - bare sim, per call, calls in sequence",
            "planner_only_us": "plan wall / calls at zero latency - (sim + full stack)",
        },
        "goals": {"ratio_to_bound_max": RATIO_GOAL, "middleware_us_max": OVERHEAD_GOAL_US},
        "decision": decision,
        "speedup": speedups,
        "overhead": overheads,
        "profile_file": str(profile_path),
        "seconds": round(time.perf_counter() - started, 1),
    }
    out.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2) + b"\n")
    print(f"wrote {out} and {profile_path} in {report['seconds']} s")


if __name__ == "__main__":
    main()
