"""Thousands of RAFA agents in one real-time gridworld: latency, CPU, memory, overruns.

    uv run python benchmarks/scale_gridworld.py                 # 100, 1,000, 10,000 agents
    uv run python benchmarks/scale_gridworld.py --agents 1000 --ticks 10

Each agent is a RafaPlayer with the horizon-one GreedyPlanner on the SIMULATED
LLM (latency on: ttft --latency s with 50% jitter), replanning on every tick
of a real-time Foraging match (fixed --tick seconds).  Each size runs in its
own process, so peak RSS is per size.  Reported per size:

* transition -> replan start (p50 / p99 / max): from a TurnStarted event's
  timestamp to the moment that agent dispatched its new plan (RafaPlayer
  stats), over all ticks and over the steady state (every tick after the
  first, which also pays for starting every player's tasks);
* framework CPU per agent-replan: process CPU minus the scenario's own CPU
  (the sim oracle, the game's rules -- ``step``, ``legal_actions``,
  ``to_move``, ``render`` -- and the world's local view, prompt and
  parsing), divided by the replans (the sim's *simulated* think time is a
  sleep and costs no CPU); the scenario's share is reported beside it;
* ``--gc``: CPython's collector as is, and tuned the way latency-sensitive
  services tune it (``gc.freeze()`` after set-up, a larger gen-0 threshold);
  both by default, side by side;
* events/s the bus handed to the seats (delivered, dropped or pending), seat
  inbox drops, peak RSS, tick overruns, late (no-op) moves.

Goals (this 2-core machine): 1,000 agents p99 < 10 ms; 10,000 agents at
1 tick/s with no overruns, p99 < 250 ms, RSS < 2 GiB, framework CPU <= 50 us
per agent-replan.  Writes benchmarks/results/scale_gridworld.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from _report import parse_args, write_report

from rafa_async import EventBus, open_match
from rafa_async.agents import RafaPlayer
from rafa_async.llm import SIM_LABEL, LatencyModel, MiddlewareStack, SimLLM
from rafa_async.planners import GreedyPlanner
from rafa_async.scenarios.gridworld import Foraging, ForagingOracle, ForagingWorld

GC_TUNED_THRESHOLD = 50_000
"""gen-0 threshold with --gc tuned (CPython's default is 700)."""

# agents -> (map side, food)
SIZES = {100: (30, 20), 1_000: (95, 200), 10_000: (300, 2_000)}


class _Timed:
    """Accumulates the CPU time spent inside one callable."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        return timed


class _TimedActor:
    def __init__(self, world: ForagingWorld, timer: _Timed) -> None:
        self.propose_request = timer.wrap(world.propose_request)
        self.parse_move = timer.wrap(world.parse_move)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def one_size(
    agents: int, ticks: int, tick: float, latency: float, gc_mode: str = "default"
) -> dict[str, Any]:
    side, food = SIZES.get(agents, (int((agents * 9) ** 0.5), max(1, agents // 5)))
    game = Foraging(side, side, agents, food, seed=1, max_ticks=ticks, vision=3)
    oracle = ForagingOracle()
    oracle_cpu, step_cpu, world_cpu = _Timed(), _Timed(), _Timed()
    # The game's own rules (step, legal moves, who moves, rendering) are the
    # scenario's CPU, whoever calls them (the host checks legality on submit).
    for method in ("step", "legal_actions", "to_move", "render"):
        setattr(game, method, step_cpu.wrap(getattr(game, method)))
    sim = SimLLM(
        {"gridworld": oracle},
        seed=0,
        latency=LatencyModel(ttft=latency, tokens_per_s=0.0, jitter=0.5),
    )
    # All of the sim's CPU (hashing the request, the oracle, the answer text).
    sim.respond = oracle_cpu.wrap(sim.respond)  # type: ignore[method-assign]
    llm = MiddlewareStack(sim, max_concurrency=agents * 2, timeout=None)
    world = ForagingWorld(game)
    players = {}
    for p in game.players:
        # The scenario's own work in the agent's path (the local view, the
        # prompt, parsing the answer) is timed apart from the framework's.
        actor = _TimedActor(world.for_player(p), world_cpu)
        players[p] = RafaPlayer(GreedyPlanner(llm, actor), name="rafa")
    bus = EventBus()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with open_match(
        game, players, clock="realtime", tick=tick, bus=bus, inbox=64, keep_log=False
    ) as match:
        seats = [*bus.subscriptions, *bus.listeners]
        if gc_mode == "tuned":
            # What latency-sensitive CPython services do after start-up: move
            # everything built so far (players, map, caches) out of the
            # collector's sight, and collect the young generation less often.
            gc.collect()
            gc.freeze()
            gc.set_threshold(GC_TUNED_THRESHOLD, 20, 1_000)
        result = await match.run()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    latencies = [x for p in players.values() for x in p.stats.replan_latencies]
    # The first tick also pays for starting every player's tasks: report the
    # steady state (every tick after the first) on its own as well.
    steady = [x for p in players.values() for x in p.stats.replan_latencies[1:]] or latencies
    replans = sum(p.stats.plans for p in players.values())
    framework = cpu - oracle_cpu.seconds - step_cpu.seconds - world_cpu.seconds
    return {
        "agents": agents,
        "map": f"{side}x{side}",
        "food": food,
        "ticks": result.turns,
        "tick_s": tick,
        "replans": replans,
        "replan_p50_ms": 1e3 * percentile(latencies, 0.50),
        "replan_p99_ms": 1e3 * percentile(latencies, 0.99),
        "replan_max_ms": 1e3 * max(latencies),
        "steady_p50_ms": 1e3 * percentile(steady, 0.50),
        "steady_p99_ms": 1e3 * percentile(steady, 0.99),
        "cpu_s": round(cpu, 3),
        "sim_cpu_s": round(oracle_cpu.seconds, 3),
        "game_cpu_s": round(step_cpu.seconds, 3),
        "world_cpu_s": round(world_cpu.seconds, 3),
        "scenario_us_per_replan": 1e6
        * (oracle_cpu.seconds + step_cpu.seconds + world_cpu.seconds)
        / max(1, replans),
        "framework_us_per_replan": 1e6 * framework / max(1, replans),
        "total_us_per_replan": 1e6 * cpu / max(1, replans),
        "events_per_s": sum(s.delivered + s.dropped + s.pending for s in seats) / wall,
        "seat_drops": sum(s.dropped for s in seats),
        "overruns": result.overruns,
        "max_tick_lag_ms": 1e3 * result.max_lag,
        "late_moves": sum(result.late.values()),
        "llm_calls": llm.totals.started,
        "llm_cancelled": llm.totals.cancelled,
        "wall_s": round(wall, 3),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(args: argparse.Namespace) -> None:
    row = anyio.run(
        one_size, args.one, args.ticks, args.tick, args.latency, args.gc, backend=args.backend[0]
    )
    print(json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, nargs="*", default=[100, 1_000, 10_000])
    parser.add_argument("--ticks", type=int, default=8)
    parser.add_argument("--tick", type=float, default=1.0, help="seconds per tick")
    parser.add_argument("--latency", type=float, default=0.2, help="sim ttft (seconds)")
    parser.add_argument(
        "--backend", choices=("trio", "asyncio"), nargs="+", default=["trio", "asyncio"]
    )
    parser.add_argument(
        "--gc",
        choices=("default", "tuned", "both"),
        default="both",
        help="CPython's collector as is, tuned (gc.freeze after set-up, gen-0 threshold "
        f"{GC_TUNED_THRESHOLD:,}), or both side by side",
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scale_gridworld.json"))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parse_args(
        parser, agents=[100], ticks=2, tick=0.2, latency=0.02, backend=["trio"], gc="default"
    )
    if args.one is not None:
        child(args)
        return
    rows = []
    print(SIM_LABEL)
    header = (
        f"{'agents':>7} {'backend':>7} {'gc':>7} {'ticks':>5} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'steady p99':>10} "
        f"{'fw us/replan':>12} {'scen us/repl':>12} {'events/s':>10} {'RSS MiB':>8} "
        f"{'overruns':>8} {'lag ms':>7} {'late':>6}"
    )
    print(header)
    modes = ("default", "tuned") if args.gc == "both" else (args.gc,)
    runs = [(a, b, m) for a in args.agents for b in args.backend for m in modes]
    for agents, backend, mode in runs:
        command = [
            sys.executable, __file__, "--one", str(agents), "--ticks", str(args.ticks),
            "--tick", str(args.tick), "--latency", str(args.latency), "--backend", backend,
            "--gc", mode,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            print(
                f"{agents:>7} {backend:>7} {mode:>7} FAILED (exit {done.returncode}):\n{tail}",
                flush=True,
            )
            rows.append(
                {
                    "agents": agents,
                    "backend": backend,
                    "gc": mode,
                    "failed": True,
                    "stderr_tail": tail,
                }
            )
            continue
        row = {"backend": backend, "gc": mode} | json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['agents']:>7} {backend:>7} {mode:>7} {row['ticks']:>5} "
            f"{row['replan_p50_ms']:>8.2f} "
            f"{row['replan_p99_ms']:>8.2f} {row['replan_max_ms']:>8.2f} "
            f"{row['steady_p99_ms']:>10.2f} "
            f"{row['framework_us_per_replan']:>12.1f} {row['scenario_us_per_replan']:>12.1f} "
            f"{row['events_per_s']:>10.0f} {row['peak_rss_mib']:>8.0f} {row['overruns']:>8} "
            f"{row['max_tick_lag_ms']:>7.1f} {row['late_moves']:>6}",
            flush=True,
        )
    settings = {k: v for k, v in vars(args).items() if k != "one"} | {"out": str(args.out)}
    write_report(args.out, {"label": SIM_LABEL, "settings": settings, "rows": rows})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
