"""The same tournament on the local executor and on Ray (a local instance, 2 CPUs), side by side.

The round robin of benchmarks/tournament_scale.py (five seat variants, two
games; ``--games-per-pairing`` sets its size) is played twice in this
process with the same config and seeds: first by the local executor (every
match in this process, one event loop), then by the Ray executor on a local
``ray.init(num_cpus=2)`` instance (two worker processes, each with its own
event loop and its share of the LLM limits; the driver writes the
database).  The table gives each run's wall time (the Ray run's includes
starting its workers, not starting Ray, which is shown apart) and checks
that both runs give every match the same result.

All figures come from the SIMULATED LLM (calls sleep their simulated
latency, scaled by --latency-scale), not from a real model.

    uv run python benchmarks/tournament_ray.py [--games-per-pairing 40] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from _report import parse_args, write_report
from rich.console import Console
from rich.table import Table
from tournament_scale import config_text

from rafa_async.llm import SIM_LABEL
from rafa_async.tournament import (
    RayExecutor,
    TournamentConfig,
    TournamentDB,
    parse_tournament,
    run_tournament,
)
from rafa_async.tournament._ray import import_ray

ray = import_ray()  # as the executor imports it (Ray's `uv run` propagation off)
RESULTS = Path(__file__).parent / "results" / "tournament_ray.json"
RAY_CPUS = 2


async def play(config: TournamentConfig, path: Path, executor: Any) -> dict[str, Any]:
    """One run of the tournament into a new database at ``path``: its figures."""
    with TournamentDB.create(path, config, resume=False) as db:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        progress = await run_tournament(config, db, executor=executor)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        digests = {row["match_id"]: row["digest"] for row in db.finished()}
    return {
        "matches": progress.finished + progress.failed,
        "failed": progress.failed,
        "wall_s": round(wall, 3),
        "driver_cpu_s": round(cpu, 3),
        "llm_calls": progress.llm_calls,
        "llm_calls_per_s": round(progress.llm_calls / wall, 1),
        "mean_db_write_ms": round(1000 * sum(progress.write_s) / max(len(progress.write_s), 1), 3),
        "digests": digests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-scale", type=float, default=0.1)
    parser.add_argument("--games-per-pairing", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--backend", choices=["trio", "asyncio"], default="trio")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parse_args(parser, games_per_pairing=2)
    config = parse_tournament(
        config_text(args.concurrency, args.latency_scale, args.games_per_pairing)
    )
    with tempfile.TemporaryDirectory() as tmp:
        local = anyio.run(play, config, Path(tmp) / "local.db", None, backend=args.backend)
        started = time.perf_counter()
        ray.init(num_cpus=RAY_CPUS, include_dashboard=False, log_to_driver=False)
        ray_init_s = round(time.perf_counter() - started, 3)
        try:
            on_ray = anyio.run(
                play, config, Path(tmp) / "ray.db", RayExecutor(config), backend=args.backend
            )
        finally:
            ray.shutdown()
    same = local.pop("digests") == on_ray.pop("digests")
    runs = {"local": local, f"ray (local, {RAY_CPUS} CPUs)": on_ray}
    console = Console()
    table = Table(
        title=f"{local['matches']}-match round robin [{SIM_LABEL}], "
        f"concurrency {args.concurrency}, latency x{args.latency_scale}, {args.backend}"
    )
    for column in ("executor", "matches", "wall s", "vs local", "calls/s", "driver CPU s"):
        table.add_column(column, justify="left" if column == "executor" else "right")
    for name, r in runs.items():
        table.add_row(
            name,
            str(r["matches"]),
            f"{r['wall_s']:.1f}",
            f"{local['wall_s'] / r['wall_s']:.2f}x",
            f"{r['llm_calls_per_s']:.0f}",
            f"{r['driver_cpu_s']:.1f}",
        )
    console.print(table)
    console.print(f"starting Ray (not in the wall times): {ray_init_s:.1f} s")
    console.print(f"identical results on both executors: {same}")
    write_report(
        args.out,
        {
            "simulated": True,
            "label": SIM_LABEL,
            "latency_scale": args.latency_scale,
            "games_per_pairing": args.games_per_pairing,
            "concurrency": args.concurrency,
            "backend": args.backend,
            "ray_cpus": RAY_CPUS,
            "ray_init_s": ray_init_s,
            "identical_results": same,
            "ray_vs_local": round(local["wall_s"] / on_ray["wall_s"], 2),
            "runs": runs,
        },
        "ray",
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
