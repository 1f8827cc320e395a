"""A 200-match round robin on the sim at match concurrency 1 and 32, side by side.

Five seat variants (three RAFA settings, the direct baseline, random) play
every pairing ten times in each of two games (tic-tac-toe and Connect Four):
10 pairings x 2 games x 10 = 200 matches.  Each concurrency runs in its own
process (so its peak RSS is its own) on the same config and seeds; the
tournament's results are identical at every concurrency (the match seeds
and the sim's sampling seeds make them so), which the table checks.

Figures: wall time and speed-up, LLM calls/s sustained, CPU time over wall
time (1.0 means one core is the bound), peak RSS, the ratings, and the
database's write cost per match against the match's own time (the writes
timed again afterwards, one after another, on a fresh database, so the
figure is the transaction's cost and not time spent waiting for the GIL).

All figures come from the SIMULATED LLM (calls sleep their simulated
latency, scaled by --latency-scale), not from a real model.

    uv run python benchmarks/tournament_scale.py [--latency-scale 0.1] [--games-per-pairing 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from _report import parse_args, write_report
from rich.console import Console
from rich.table import Table

from rafa_async.llm import SIM_LABEL
from rafa_async.tournament import (
    MatchOutcome,
    TournamentDB,
    parse_tournament,
    run_tournament,
)

RESULTS = Path(__file__).parent / "results" / "tournament_scale.json"
PARTICIPANTS = """
[[participants]]
name = "rafa-b5"
kind = "rafa"
n_candidates = 5

[[participants]]
name = "rafa-b3"
kind = "rafa"
n_candidates = 3

[[participants]]
name = "rafa-spec"
kind = "rafa"
n_candidates = 3
speculate = true

[[participants]]
name = "direct"
kind = "direct"

[[participants]]
name = "random"
kind = "random"
"""


def config_text(concurrency: int, latency_scale: float, games_per_pairing: int) -> str:
    return (
        'name = "scale"\n'
        'games = ["tictactoe", "connect4"]\n'
        f"games_per_pairing = {games_per_pairing}\n"
        f"concurrency = {concurrency}\n"
        f"latency_scale = {latency_scale}\n"
        "seed = 0\n\n[limits]\nmax_concurrency = 256\n" + PARTICIPANTS
    )


async def child(concurrency: int, latency_scale: float, games_per_pairing: int) -> dict[str, Any]:
    """One tournament at ``concurrency``; its figures as JSON-able data."""
    config = parse_tournament(config_text(concurrency, latency_scale, games_per_pairing))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.db"
        with TournamentDB.create(path, config, resume=False) as db:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            progress = await run_tournament(config, db)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            outcomes = [_outcome(db, row) for row in db.finished()]
            digests = {row["match_id"]: row["digest"] for row in db.finished()}
            results = db.results()
        write_ms = _sequential_write_ms(config, outcomes, Path(tmp) / "writes.db")
    try:
        from rafa_async.tournament import standings  # type: ignore[attr-defined]

        ratings = _ratings(standings(results))
    except ImportError:
        ratings = [
            {"participant": p, "points": pts, "games": g} for p, pts, g in progress.standings()
        ]
    return {
        "concurrency": concurrency,
        "matches": progress.finished + progress.failed,
        "failed": progress.failed,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "cpu_per_wall": round(cpu / wall, 3),
        "llm_calls": progress.llm_calls,
        "llm_calls_per_s": round(progress.llm_calls / wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "mean_match_s": round(sum(progress.match_s) / len(progress.match_s), 4),
        "db_write_ms_sequential": round(write_ms, 3),
        "db_write_ms_in_run": round(1000 * sum(progress.write_s) / len(progress.write_s), 3),
        "ratings": ratings,
        "digests": digests,
    }


def _outcome(db: TournamentDB, row: dict[str, Any]) -> MatchOutcome:
    """The finished match as the runner wrote it (to write it again)."""
    calls = [c for _, c in db.calls(row["match_id"])]
    return MatchOutcome(
        match_id=row["match_id"],
        status="finished",
        scores=row["scores"],
        turns=row["turns"],
        moves=row["moves"],
        digest=row["digest"],
        wall_s=row["wall_s"],
        simulated=row["simulated"],
        seats=row["seats"],
        calls=calls,
        turn_starts=db.turn_starts(row["match_id"]),
    )


def _sequential_write_ms(config: Any, outcomes: list[MatchOutcome], path: Path) -> float:
    from rafa_async.tournament import planned_matches

    with TournamentDB.create(path, config, resume=False) as db:
        db.plan(planned_matches(config))
        started = time.perf_counter()
        for outcome in outcomes:
            db.write(outcome)
        return 1000 * (time.perf_counter() - started) / max(len(outcomes), 1)


def _ratings(standings: Any) -> list[dict[str, Any]]:
    import msgspec

    return [msgspec.to_builtins(row) for row in standings.rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-scale", type=float, default=0.1)
    parser.add_argument("--games-per-pairing", type=int, default=10)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--backend", choices=["trio", "asyncio"], default="trio")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parse_args(parser, games_per_pairing=1, latency_scale=0.0, concurrency=[1, 8])
    if args.child is not None:
        figures = anyio.run(
            child, args.child, args.latency_scale, args.games_per_pairing, backend=args.backend
        )
        print(json.dumps(figures))
        return
    runs = []
    for concurrency in args.concurrency:
        command = [
            sys.executable,
            __file__,
            "--child",
            str(concurrency),
            "--latency-scale",
            str(args.latency_scale),
            "--games-per-pairing",
            str(args.games_per_pairing),
            "--backend",
            args.backend,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = runs[0]
    same = all(r["digests"] == base["digests"] for r in runs)
    console = Console(width=120)
    table = Table(
        title=f"round robin on {args.backend} [{SIM_LABEL}], latency x{args.latency_scale}"
    )
    for column in (
        "concurrency",
        "matches",
        "wall s",
        "speed-up",
        "calls/s",
        "CPU/wall",
        "peak RSS MB",
        "write ms/match",
        "match s",
    ):
        table.add_column(column, justify="right")
    for r in runs:
        table.add_row(
            str(r["concurrency"]),
            str(r["matches"]),
            f"{r['wall_s']:.1f}",
            f"{base['wall_s'] / r['wall_s']:.2f}x",
            f"{r['llm_calls_per_s']:.0f}",
            f"{r['cpu_per_wall']:.2f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['db_write_ms_sequential']:.2f}",
            f"{r['mean_match_s']:.2f}",
        )
    console.print(table)
    console.print(f"identical results at every concurrency: {same}")
    console.print_json(data=runs[-1]["ratings"])
    for r in runs:
        del r["digests"]
    write_report(
        args.out,
        {
            "simulated": True,
            "label": SIM_LABEL,
            "latency_scale": args.latency_scale,
            "backend": args.backend,
            "games_per_pairing": args.games_per_pairing,
            "identical_results": same,
            "speedup": round(base["wall_s"] / runs[-1]["wall_s"], 2),
            "runs": runs,
        },
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
