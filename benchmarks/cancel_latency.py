"""How fast a stale plan dies: transition published -> every task of the plan exited.

    uv run python benchmarks/cancel_latency.py [--matches 40] [--backend both]

Two measurements.  *Isolated*: one plan with five LLM calls in flight is
cancelled; time until every task of it has exited.  *Under load*: many
Tic-Tac-Toe matches at once, in real time: a speculative RAFA player
(X) plans for the reply it predicts while a random opponent (O) thinks; when
O's actual move differs, the MatchTransition makes the speculative plan stale
and RafaPlayer cancels it.  The latency of each cancellation is measured from
the transition's timestamp (host clock, when it was published) to the moment
the plan's cancel scope has exited -- by then the planner's task groups have
joined, so every task and LLM call of the plan is gone.  Also checked: no LLM
call left in flight, every call accounted as completed or cancelled.

The LLM is the SIMULATED LLM (latency fixed at --latency seconds per call).
Prints a table and writes benchmarks/results/cancel_latency.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import anyio
from _report import parse_args, write_report

from rafa_async import open_match
from rafa_async.agents import PolicyPlayer, RafaPlayer
from rafa_async.llm import SIM_LABEL, LatencyModel, MiddlewareStack, NoiseModel, SimLLM
from rafa_async.planners import MPCPlanner
from rafa_async.scenarios.tictactoe import (
    RandomPolicy,
    TicTacToe,
    TicTacToeOracle,
    TicTacToeState,
    TicTacToeWorld,
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(matches: int, latency: float, think: float, jitter: float) -> dict[str, Any]:
    sim = SimLLM(
        {"tictactoe": TicTacToeOracle()},
        seed=0,
        noise=NoiseModel.perfect(),
        latency=LatencyModel(ttft=latency, tokens_per_s=0.0, jitter=jitter),
    )
    llm = MiddlewareStack(sim, max_concurrency=4096)
    players: list[RafaPlayer[Any]] = []

    async def one(index: int) -> None:
        planner = MPCPlanner(llm, TicTacToeWorld(), n_candidates=5)
        rafa = RafaPlayer(planner, opponent_model=planner, speculate=True)
        players.append(rafa)
        policy = RandomPolicy(seed=index)
        opponent = PolicyPlayer(lambda seat: policy.move(seat.state), think=think)
        async with open_match(TicTacToe(), {"X": rafa, "O": opponent}, match_id=str(index)) as m:
            await m.run()

    started = time.perf_counter()
    cpu = time.process_time()
    async with anyio.create_task_group() as tg:
        for index in range(matches):
            tg.start_soon(one, index)
    latencies = [x for p in players for x in p.stats.cancel_latencies]
    unwind = [x for p in players for x in p.stats.unwind_latencies]
    totals = llm.totals
    return {
        "matches": matches,
        "cancellations": len(latencies),
        "p50_ms": 1e3 * percentile(latencies, 0.50) if latencies else None,
        "p99_ms": 1e3 * percentile(latencies, 0.99) if latencies else None,
        "max_ms": 1e3 * max(latencies) if latencies else None,
        "mean_ms": 1e3 * statistics.fmean(latencies) if latencies else None,
        "unwind_p50_ms": 1e3 * percentile(unwind, 0.50) if unwind else None,
        "unwind_p99_ms": 1e3 * percentile(unwind, 0.99) if unwind else None,
        "llm_calls": totals.started,
        "llm_cancelled": totals.cancelled,
        "llm_in_flight_after": totals.in_flight,
        "accounted": totals.started == totals.completed + totals.failed + totals.cancelled,
        "wall_s": round(time.perf_counter() - started, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
    }


async def isolated(samples: int, latency: float) -> dict[str, Any]:
    """One MPC plan at a time (5 calls in flight): cancel it, time until it exited."""
    sim = SimLLM(
        {"tictactoe": TicTacToeOracle()},
        noise=NoiseModel.perfect(),
        latency=LatencyModel.fixed(latency),
    )
    planner = MPCPlanner(MiddlewareStack(sim), TicTacToeWorld(), n_candidates=5)
    times = []
    for sample in range(samples):
        scope = anyio.CancelScope()
        done = anyio.Event()

        async def plan(salt: int, scope: anyio.CancelScope, done: anyio.Event) -> None:
            with scope:
                await planner.plan(TicTacToeState.initial(), (), player="X", salt=salt)
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(plan, sample, scope, done)
            await anyio.sleep(latency / 5)
            started = time.perf_counter()
            scope.cancel()
            await done.wait()
            times.append(time.perf_counter() - started)
    return {
        "samples": samples,
        "p50_ms": 1e3 * percentile(times, 0.50),
        "p99_ms": 1e3 * percentile(times, 0.99),
        "max_ms": 1e3 * max(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matches", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.05, help="sim seconds per call")
    parser.add_argument("--think", type=float, default=0.075, help="opponent seconds per move")
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.5,
        help="sim latency jitter (0 = every call exactly --latency: all matches in lockstep)",
    )
    parser.add_argument("--backend", choices=("trio", "asyncio", "both"), default="both")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/cancel_latency.json"))
    args = parse_args(parser, matches=4, backend="trio")
    backends = ("trio", "asyncio") if args.backend == "both" else (args.backend,)
    rows = {}
    print(SIM_LABEL)
    print(f"{'backend':<8} {'cancels':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'unwind p50':>10} {'unwind p99':>10} "
          f"{'calls':>7} {'cancelled':>9} {'in flight':>9} {'goal p99<1ms':>12}")  # fmt: skip
    for backend in backends:
        row = anyio.run(run, args.matches, args.latency, args.think, args.jitter, backend=backend)
        rows[backend] = row
        ok = row["p99_ms"] is not None and row["p99_ms"] < 1.0
        print(
            f"{backend:<8} {row['cancellations']:>8} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f} "
            f"{row['max_ms']:>8.3f} {row['unwind_p50_ms']:>10.3f} {row['unwind_p99_ms']:>10.3f} "
            f"{row['llm_calls']:>7} {row['llm_cancelled']:>9} "
            f"{row['llm_in_flight_after']:>9} {'yes' if ok else 'NO':>12}"
        )
    print("\nisolated: one plan with 5 LLM calls in flight, cancel() -> every task exited")
    for backend in backends:
        row = anyio.run(isolated, 200, args.latency, backend=backend)
        rows[f"{backend}_isolated"] = row
        print(
            f"{backend:<8} p50 {row['p50_ms']:.3f} ms  p99 {row['p99_ms']:.3f} ms  "
            f"max {row['max_ms']:.3f} ms  goal p99<1ms: {'yes' if row['p99_ms'] < 1 else 'NO'}"
        )
    write_report(
        args.out,
        {"label": SIM_LABEL, "settings": vars(args) | {"out": str(args.out)}, "results": rows},
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
