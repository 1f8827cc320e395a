"""One MCTS decision with concurrent simulations against sequential, on the SIMULATED LLM.

``MCTSPlanner`` runs ``--simulations`` simulations from the start state of
a task of ``--scenario`` (any registered benchmark; Game of 24 by default),
with ``concurrency`` 1 (one simulation at a time: an expansion's calls still
run together) and then k = 4, 8, 16 at once (virtual loss spreads them).
Per setting, over the first ``--limit`` of ``--tasks``:

* **wall**: real seconds of the decision (the sim sleeps its latency model,
  scaled by ``--latency-scale``; its answers are computed on the loop);
* **speed-up**: wall at concurrency 1 over wall at k, same simulation budget;
* **critical path**: the longest chain of LLM calls one after another (each
  starting after the previous ended), measured from every call's start and
  end; ``wall / critical path`` near 1 means the decision took no longer than
  its longest chain of calls (no scheduling or CPU overhead on top).

The trees differ between settings (a simulation sees the others' rewards
only once they finish), so the calls and the plan found are reported too.
The LLM is the SIMULATED LLM: its latency is a model, not a measurement.

    .venv/bin/python benchmarks/mcts_concurrency.py
    .venv/bin/python benchmarks/mcts_concurrency.py --quick
    .venv/bin/python benchmarks/mcts_concurrency.py --scenario game24 --tasks 901-910 --limit 10
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _report
import anyio
import msgspec
from rich import box
from rich.console import Console
from rich.table import Table

from rafa_async.llm import LLM, SIM_LABEL, ChatRequest, ChatResponse, LatencyModel
from rafa_async.planners import MCTSPlanner
from rafa_async.scenarios import SCENARIOS, Benchmark, simulated_llm


@dataclass(slots=True)
class TimedLLM:
    """Notes every call's start and end (``time.perf_counter``) and the peak in flight."""

    inner: LLM
    calls: list[tuple[float, float]] = field(default_factory=list)
    running: int = 0
    peak: int = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        start = time.perf_counter()
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            return await self.inner.complete(request)
        finally:
            self.running -= 1
            self.calls.append((start, time.perf_counter()))


def critical_path(calls: list[tuple[float, float]]) -> tuple[float, int]:
    """The longest chain of calls each starting after the previous ended:
    its seconds (the calls' durations summed) and its length."""
    ordered = sorted(calls, key=lambda call: call[1])
    ends = [end for _, end in ordered]
    best: list[tuple[float, int]] = []  # per call: the longest chain ending with it
    prefix: list[tuple[float, int]] = []  # the longest among the calls so far
    for start, end in ordered:
        before = bisect.bisect_right(ends, start, hi=len(best)) - 1
        seconds, length = prefix[before] if before >= 0 else (0.0, 0)
        best.append((seconds + end - start, length + 1))
        prefix.append(max(prefix[-1], best[-1]) if prefix else best[-1])
    return prefix[-1] if prefix else (0.0, 0)


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    task: str
    concurrency: int
    wall_s: float
    critical_path_s: float
    chain_calls: int
    calls: int
    peak_in_flight: int
    simulations: int
    actions: tuple[str, ...]
    solved: bool


class Setting(msgspec.Struct, frozen=True, kw_only=True):
    """One concurrency over all puzzles (sums; ratios of the sums)."""

    concurrency: int
    wall_s: float
    speedup: float
    critical_path_s: float
    wall_over_critical_path: float
    calls: int
    peak_in_flight: int
    solved: int


async def decide(
    bench: Benchmark[Any, Any], task: Any, k: int, args: argparse.Namespace
) -> Decision:
    latency = LatencyModel(scale=args.latency_scale)
    llm = TimedLLM(simulated_llm(seed=args.seed, latency=latency))
    planner: MCTSPlanner[Any] = MCTSPlanner(
        llm,
        bench.world(),
        simulations=args.simulations,
        concurrency=k,
        c=args.c,
        n_generate=args.n_generate,
        n_evaluate=args.n_evaluate,
    )
    env = bench.make_env(task)
    began = time.perf_counter()
    plan = await planner.plan(env.reset(), ())
    wall = time.perf_counter() - began
    path_s, chain = critical_path(llm.calls)
    return Decision(
        task=task.id,
        concurrency=k,
        wall_s=wall,
        critical_path_s=path_s,
        chain_calls=chain,
        calls=len(llm.calls),
        peak_in_flight=llm.peak,
        simulations=plan.stats.simulations,
        actions=tuple(plan.actions),
        solved=solves(env, plan.actions),
    )


def solves(env: Any, actions: list[str]) -> bool:
    """Whether the plan, run in the true environment, ends the task with a
    reward (as an episode counts solved)."""
    state, reward = env.reset(), 0.0
    for action in actions:
        outcome = env.step(state, action)
        if not outcome.accepted:
            return False
        state, reward = outcome.state, reward + outcome.reward
        if outcome.done:
            return reward > 0
    return False


def summarise(decisions: list[Decision], levels: list[int]) -> list[Setting]:
    def total(k: int, name: str) -> float:
        return sum(getattr(d, name) for d in decisions if d.concurrency == k)

    sequential = total(levels[0], "wall_s")
    return [
        Setting(
            concurrency=k,
            wall_s=total(k, "wall_s"),
            speedup=sequential / total(k, "wall_s"),
            critical_path_s=total(k, "critical_path_s"),
            wall_over_critical_path=total(k, "wall_s") / total(k, "critical_path_s"),
            calls=int(total(k, "calls")),
            peak_in_flight=max(d.peak_in_flight for d in decisions if d.concurrency == k),
            solved=int(total(k, "solved")),
        )
        for k in levels
    ]


def table(settings: list[Setting], decisions: list[Decision], args: argparse.Namespace) -> Table:
    tasks = sorted({d.task for d in decisions})
    out = Table(
        title=(
            f"MCTS decision, {args.scenario} · SIMULATED LLM · {args.simulations} simulations, "
            f"n_generate={args.n_generate} n_evaluate={args.n_evaluate} · "
            f"{len(tasks)} task(s) · latency x{args.latency_scale:g} · {args.backend}"
        ),
        box=box.SIMPLE,
    )
    for column in (
        "k",
        "wall s",
        "speed-up",
        "crit. path s",
        "wall/crit.",
        "calls",
        "peak",
        "solved",
    ):
        out.add_column(column, justify="right")
    for s in settings:
        out.add_row(
            str(s.concurrency),
            f"{s.wall_s:.2f}",
            f"{s.speedup:.2f}x",
            f"{s.critical_path_s:.2f}",
            f"{s.wall_over_critical_path:.3f}",
            str(s.calls),
            str(s.peak_in_flight),
            f"{s.solved}/{len(tasks)}",
        )
    return out


async def measure(args: argparse.Namespace) -> list[Decision]:
    bench = SCENARIOS[args.scenario]
    tasks = bench.tasks(args.tasks or bench.default_tasks)[: args.limit]
    return [await decide(bench, task, k, args) for task in tasks for k in args.concurrency]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="game24")
    parser.add_argument("--tasks", help="the scenario's task spec (default: its default tasks)")
    parser.add_argument(
        "--limit", type=int, default=5, help="decisions per setting: the first tasks"
    )
    parser.add_argument("--simulations", type=int, default=32)
    parser.add_argument(
        "--concurrency", type=lambda text: [int(k) for k in text.split(",")], default=[1, 4, 8, 16]
    )
    parser.add_argument("--c", type=float, default=1.0, help="UCT's exploration constant")
    parser.add_argument("--n-generate", type=int, default=10)
    parser.add_argument("--n-evaluate", type=int, default=3)
    parser.add_argument("--latency-scale", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", choices=["trio", "asyncio"], default="trio")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "mcts_concurrency.json"
    )
    args = _report.parse_args(
        parser, argv, limit=1, simulations=8, latency_scale=0.02, n_generate=5
    )
    if args.concurrency[0] != 1:
        parser.error("--concurrency must start with 1 (the sequential reference)")
    console = Console()
    console.print(f"[bold yellow]{SIM_LABEL}[/]")
    decisions = anyio.run(measure, args, backend=args.backend)
    settings = summarise(decisions, args.concurrency)
    console.print(table(settings, decisions, args))
    console.print(
        "k = simulations at once; crit. path = the longest chain of LLM calls, each started "
        "after the previous ended (from the calls' start/end times); speed-up = wall at k=1 / "
        "wall; peak = most calls in flight;\nsolved = the plan, run in the true environment, "
        "solves the task.\n"
        f"median calls per decision: {statistics.median(d.calls for d in decisions):.0f}"
    )
    payload: dict[str, Any] = {
        "llm": SIM_LABEL,
        "simulated": True,
        "scenario": args.scenario,
        "settings": {key: value for key, value in vars(args).items() if key != "out"},
        "summary": msgspec.to_builtins(settings),
        "decisions": msgspec.to_builtins(decisions),
    }
    _report.write_report(args.out, payload)
    console.print(f"wrote {_report.destination(args.out)}")


if __name__ == "__main__":
    main()
