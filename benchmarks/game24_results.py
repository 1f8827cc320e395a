"""Game of 24, ranks 901-1000: RAFA, every baseline and RAFA's ablations on the simulated LLM.

    uv run python benchmarks/game24_results.py [--seeds 3] [--tasks 901-1000]

Prints two tables and writes benchmarks/results/game24_results.json.  The
LLM is the SIMULATED LLM, calibrated on the baselines only
(benchmarks/calibrate_sim.py): these are simulation results, not claims
about any real model.  Every figure is pooled over ``--seeds`` seeds
(seed 0 alone runs high: each seed is a different simulated model), with a
95% Wilson interval over the ``seeds x tasks`` episodes.  The sim's latency
is off: it changes wall time, not results.

The ablations ask where RAFA's edge comes from.  Each changes one thing:

- ``sim ignores memory``: the sim heeds no fact of the prompt's memory
  (``memory_adherence`` 0) -- learning from feedback switched off in the
  model, not in the agent;
- ``memory off``: the agent stores nothing, so the planner never sees a
  feedback line (it still acts for now and replans from the new state,
  with fresh samples);
- ``memory off, same samples``: also every replan reuses the first plan's
  samples (salt 0), so a rejected step is proposed again: what is left is
  the environment's refusal of dead-end steps alone.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import anyio
import msgspec
from _report import parse_args, write_report

from rafa_async.agents import Agent, Memory, RafaAgent
from rafa_async.app import (
    BenchmarkConfig,
    _benchmark as benchmark_module,
    build_agent,
    run_benchmark,
    wilson,
)
from rafa_async.llm import LLM, SIM_LABEL, LatencyModel, NoiseModel

PAPER = {
    "rafa b=1": 0.88,
    "rafa b=2": 0.91,
    "tot-trials b=1": 0.73,
    "tot-trials b=2": 0.81,
    "reflexion": 0.21,
    "direct": 0.073,
}
"""GPT-4 figures, for reference only: the RAFA paper's Game of 24 figure
(ToT "20 trials" = tot-trials here); direct is IO prompting from the Tree
of Thoughts paper (Yao et al. 2023, Table 2)."""

RUNS: list[tuple[str, str, int]] = [
    ("rafa b=1", "rafa", 1),
    ("rafa b=2", "rafa", 2),
    ("tot b=1", "tot", 1),
    ("tot b=2", "tot", 2),
    ("tot-trials b=1", "tot-trials", 1),
    ("tot-trials b=2", "tot-trials", 2),
    ("tot-matched b=1", "tot-matched", 1),
    ("reflexion", "reflexion", 1),
    ("direct", "direct", 1),
]


def _memory_off(config: BenchmarkConfig, llm: LLM) -> Agent[Any]:
    agent = build_agent(config, llm)
    assert isinstance(agent, RafaAgent)
    agent.memory = Memory(maxlen=0)  # stores nothing
    return agent


def _memory_off_same_samples(config: BenchmarkConfig, llm: LLM) -> Agent[Any]:
    agent = _memory_off(config, llm)
    assert isinstance(agent, RafaAgent)
    agent._plan_ids = itertools.repeat(0)  # every plan salted 0: the same samples
    return agent


Builder = Callable[[BenchmarkConfig, LLM], Agent[Any]]
"""How one task's agent is built (``rafa_async.app.build_agent``'s signature)."""

ABLATIONS: list[tuple[str, dict[str, Any], Builder | None]] = [
    ("as shipped", {}, None),
    ("sim ignores memory", {"memory_adherence": 0.0}, None),
    ("memory off", {}, _memory_off),
    ("memory off, same samples", {}, _memory_off_same_samples),
]


@contextmanager
def _agents_built_by(builder: Builder | None) -> Iterator[None]:
    if builder is None:
        yield
        return
    with mock.patch.object(benchmark_module, "build_agent", builder):
        yield


async def _pooled(
    agent: str, beam: int, seeds: Sequence[int], tasks: str, **changes: Any
) -> dict[str, Any]:
    solved = episodes = calls = steps = 0
    per_seed = []
    summaries = []
    noise = NoiseModel(**changes.pop("noise", {}))
    for seed in seeds:
        config = BenchmarkConfig(
            agent=agent,
            beam=beam,
            tasks=tasks,
            seed=seed,
            noise=noise,
            latency=LatencyModel(scale=0.0),
            concurrency=100,
            **changes,
        )
        _, summary = await run_benchmark(config)
        solved += summary.solved
        episodes += summary.episodes
        calls += summary.llm_calls
        steps += round(summary.mean_env_steps * summary.episodes)
        per_seed.append(summary.success_rate)
        summaries.append(msgspec.to_builtins(summary))
    low, high = wilson(solved, episodes)
    return {
        "success": solved / episodes,
        "ci_low": low,
        "ci_high": high,
        "per_seed": per_seed,
        "llm_calls_per_task": calls / episodes,
        "env_steps_per_task": steps / episodes,
        "episodes": episodes,
        "summaries": summaries,
    }


def _row(label: str, result: dict[str, Any], paper: float | None) -> str:
    ci = f"[{result['ci_low']:.0%}, {result['ci_high']:.0%}]"
    seeds = "/".join(f"{s:.0%}" for s in result["per_seed"])
    paper_text = "-" if paper is None else f"{paper:.0%}"
    return (
        f"{label:<26} {result['success']:>8.0%} {ci:>11} {paper_text:>6} "
        f"{result['llm_calls_per_task']:>9.1f} {result['env_steps_per_task']:>6.2f}  {seeds}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1, pooled")
    parser.add_argument("--tasks", default="901-1000")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/game24_results.json"))
    args = parse_args(parser, seeds=1, tasks="901-903")
    seeds = list(range(args.seeds))
    header = (
        f"{'run':<26} {'success':>8} {'95% CI':>11} {'paper':>6} {'calls/task':>9} "
        f"{'steps':>6}  per seed"
    )
    print(f"{SIM_LABEL}\nGame of 24, ranks {args.tasks}, seeds {seeds}, n_generate=10 n_evaluate=3")
    print(f"noise: {msgspec.to_builtins(NoiseModel())}\n\n{header}")
    started = time.perf_counter()
    rows = []
    budget = None
    for label, agent, beam in RUNS:
        changes: dict[str, Any] = {"call_budget": budget} if agent == "tot-matched" else {}
        result = await _pooled(agent, beam, seeds, args.tasks, **changes)
        if label == "rafa b=1":
            budget = result["llm_calls_per_task"]  # the compute tot-matched is given
        rows.append({"run": label, "paper_gpt4": PAPER.get(label), **changes, **result})
        print(_row(label, result, PAPER.get(label)), flush=True)
    print(f"\nWhere RAFA's edge comes from (RAFA b=1, ablations)\n{header}")
    ablations = []
    for label, noise, builder in ABLATIONS:
        with _agents_built_by(builder):
            result = await _pooled("rafa", 1, seeds, args.tasks, noise=noise)
        ablations.append({"variant": label, **result})
        print(_row(label, result, None), flush=True)
    write_report(
        args.out,
        {
            "simulated": True,
            "label": SIM_LABEL,
            "noise": msgspec.to_builtins(NoiseModel()),
            "seeds": seeds,
            "tasks": args.tasks,
            "rows": rows,
            "ablations": ablations,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )


if __name__ == "__main__":
    anyio.run(main, backend="trio")
