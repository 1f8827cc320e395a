"""RAFA's switching rules x learning subroutine, Game of 24 ranks 901-1000, SIMULATED LLM.

    uv run python benchmarks/switching_rules.py [--seed 0] [--tasks 901-1000]

For each switching rule (every-step, on-misprediction, info-gain,
commit-plan) and each learning subroutine (raw, reflect): success rate, LLM
calls per puzzle, environment steps per puzzle, and the LLM calls saved
against every-step with the same learning.  Prints a table and writes
benchmarks/results/switching_rules.json.  The LLM is the SIMULATED LLM:
these are simulation results, not claims about any real model.  info-gain
uses its defaults (threshold log 2 nats; the sim's reported confidence).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, cast

import anyio
import msgspec
from _report import parse_args, write_report

from rafa_async.app import (
    LEARN_KINDS,
    SWITCHING_KINDS,
    BenchmarkConfig,
    LearnKind,
    SwitchingKind,
    run_benchmark,
)
from rafa_async.llm import SIM_LABEL, LatencyModel


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", default="901-1000")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/switching_rules.json"))
    args = parse_args(parser, tasks="901-903")
    print(f"{SIM_LABEL}\nGame of 24, ranks {args.tasks}, seed {args.seed}, RAFA b=1")
    header = (
        f"{'switching':<17} {'learn':<8} {'success':>8} {'LLM calls/puzzle':>17} "
        f"{'env steps':>10} {'calls saved':>12}"
    )
    print(header)
    rows: list[dict[str, Any]] = []
    baseline: dict[str, float] = {}
    for learn in LEARN_KINDS:
        for switching in SWITCHING_KINDS:
            config = BenchmarkConfig(
                tasks=args.tasks,
                seed=args.seed,
                switching=cast(SwitchingKind, switching),
                learn=cast(LearnKind, learn),
                latency=LatencyModel(scale=0.0),
                concurrency=100,
            )
            started = time.perf_counter()
            _, summary = await run_benchmark(config)
            calls = summary.llm_calls_per_episode
            baseline.setdefault(learn, calls)
            saved = 1.0 - calls / baseline[learn] if baseline[learn] else 0.0
            print(
                f"{switching:<17} {learn:<8} {summary.success_rate:>8.0%} {calls:>17.1f} "
                f"{summary.mean_env_steps:>10.2f} {saved:>12.0%}",
                flush=True,
            )
            rows.append(
                {
                    "switching": switching,
                    "learn": learn,
                    "success_rate": summary.success_rate,
                    "llm_calls_per_puzzle": calls,
                    "env_steps_per_puzzle": summary.mean_env_steps,
                    "calls_saved_vs_every_step": saved,
                    "summary": msgspec.to_builtins(summary),
                    "cpu_wall_s": round(time.perf_counter() - started, 2),
                }
            )
    write_report(
        args.out,
        {
            "simulated": True,
            "label": SIM_LABEL,
            "tasks": args.tasks,
            "seed": args.seed,
            "search": {"n_generate": 10, "n_evaluate": 3, "beam": 1},
            "info_gain": {"threshold_nats": "log 2", "estimator": "confidence"},
            "calls_saved": "1 - calls per puzzle / every-step's (same learn)",
            "rows": rows,
        },
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    anyio.run(main)
