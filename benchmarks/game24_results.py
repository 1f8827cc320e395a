"""Game of 24, ranks 901-1000: RAFA and every baseline on the simulated LLM.

    uv run python benchmarks/game24_results.py [--seed 0] [--tasks 901-1000]

Prints a table and writes benchmarks/results/game24_results.json.  The LLM
is the SIMULATED LLM (calibrated on the baselines only; see
calibrate_sim.py): these are simulation results, not claims about any real
model.  The sim's latency is switched off: it changes wall time, not results.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import anyio
import msgspec

from rafa_async.app import BenchmarkConfig, run_benchmark
from rafa_async.llm import SIM_LABEL, LatencyModel, NoiseModel

PAPER = {"rafa b=1": 0.88, "rafa b=2": 0.91, "tot b=1": 0.73, "reflexion": 0.21}
"""The paper's GPT-4 figures as the paper reports them (for reference only)."""

RUNS: list[tuple[str, str, int]] = [
    ("rafa b=1", "rafa", 1),
    ("rafa b=2", "rafa", 2),
    ("tot b=1", "tot", 1),
    ("tot b=2", "tot", 2),
    ("reflexion", "reflexion", 1),
    ("direct", "direct", 1),
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", default="901-1000")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/game24_results.json"))
    args = parser.parse_args()
    rows = []
    print(
        f"{SIM_LABEL}\nGame of 24, ranks {args.tasks}, seed {args.seed}, n_generate=10 n_evaluate=3"
    )
    print(f"{'run':<11} {'success':>8} {'paper':>6} {'LLM calls/task':>15} {'env steps':>10}")
    for label, agent, beam in RUNS:
        config = BenchmarkConfig(
            agent=agent,
            beam=beam,
            tasks=args.tasks,
            seed=args.seed,
            latency=LatencyModel(scale=0.0),
            concurrency=100,
        )
        started = time.perf_counter()
        _, summary = await run_benchmark(config)
        paper = PAPER.get(label)
        print(
            f"{label:<11} {summary.success_rate:>8.0%} "
            f"{(f'{paper:.0%}' if paper is not None else '-'):>6} "
            f"{summary.llm_calls_per_episode:>15.1f} {summary.mean_env_steps:>10.2f}",
            flush=True,
        )
        rows.append(
            {
                "run": label,
                "paper_gpt4": paper,
                "summary": msgspec.to_builtins(summary),
                "cpu_wall_s": round(time.perf_counter() - started, 2),
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "simulated": True,
                "label": SIM_LABEL,
                "noise": msgspec.to_builtins(NoiseModel()),
                "seed": args.seed,
                "tasks": args.tasks,
                "machine": platform.platform(),
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    anyio.run(main, backend="trio")
