"""Latency of one provider under load: N requests at concurrency C through open_llm.

    uv run python benchmarks/provider_latency.py [--requests 400] [--concurrency 16]
    uv run python benchmarks/provider_latency.py --provider openai:gpt-4o-mini
    uv run python benchmarks/provider_latency.py --provider openai:sim --base-url URL --send-intent

The same workload for any provider, so two runs compare (``rafa bench
compare``): ``--requests`` Game of 24 proposals from one state, sample 0..N-1
(no two alike, so no cache hits), sent by ``--concurrency`` tasks through
:func:`rafa_async.app.open_llm` -- the middleware stack a run uses (retries,
limits, usage) and the provider the options name, exactly as ``rafa run
--provider ... --base-url ...`` would reach it.  Per call: wall time from
``complete`` to its answer (retries included).  Reported: p50/p90/p99/p99.9
latency, mean, calls/s over the whole run, failures, tokens; ``samples`` says
how many calls the percentiles rest on (p99.9 of fewer than 1,000 is the
largest few).

The default provider is the in-process SIMULATED LLM, and ``openai:sim``
against ``rafa sim-serve`` is the simulated LLM too: such figures measure
this framework and the sim's latency model, never a real model.  The report
says so (``simulated``, ``label``).  Writes
benchmarks/results/provider_latency.json (``--out``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import anyio
from _report import parse_args, write_report
from rich.console import Console
from rich.table import Table

from rafa_async import RafaError
from rafa_async.app import LLMOptions, open_llm, resolve_llm
from rafa_async.llm import SIM_LABEL, ChatRequest, MiddlewareStack
from rafa_async.scenarios.game24 import Game24State, Game24World

STATE = Game24State.start([Fraction(n) for n in (4, 9, 10, 13)])
PERCENTILES = {"p50": 500, "p90": 900, "p99": 990, "p99_9": 999}
"""Each reported percentile, as its rank among 1,000 quantiles."""


def requests(n: int, model: str) -> list[ChatRequest]:
    """``n`` distinct Game of 24 proposals (sample 0..n-1), with their intent."""
    world = Game24World(model=model)
    return [world.propose_request(STATE, (), sample) for sample in range(n)]


async def drive(
    llm: MiddlewareStack, batch: list[ChatRequest], concurrency: int
) -> tuple[list[float], list[str], int]:
    """Send ``batch`` from ``concurrency`` tasks; each call's seconds, the
    failures' messages, and how many answers said they were simulated."""
    latencies: list[float] = []
    failures: list[str] = []
    simulated = 0
    pending = iter(batch)

    async def worker() -> None:
        nonlocal simulated
        for request in pending:
            started = time.perf_counter()
            try:
                response = await llm.complete(request)
            except RafaError as error:  # after the stack's retries
                failures.append(str(error))
                continue
            latencies.append(time.perf_counter() - started)
            simulated += response.simulated

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)
    return latencies, failures, simulated


def summary(latencies: list[float]) -> dict[str, float | None]:
    """Percentiles and mean, in milliseconds (``None`` with fewer than 2 calls)."""
    if len(latencies) < 2:
        return {f"{name}_ms": None for name in [*PERCENTILES, "mean"]}
    cuts = statistics.quantiles(latencies, n=1000, method="inclusive")
    figures: dict[str, float | None] = {
        f"{name}_ms": round(1e3 * cuts[rank - 1], 3) for name, rank in PERCENTILES.items()
    }
    figures["mean_ms"] = round(1e3 * statistics.fmean(latencies), 3)
    return figures


async def run(args: argparse.Namespace, options: LLMOptions) -> dict[str, Any]:
    async with open_llm(options) as llm:
        resolved = resolve_llm(options, backend=args.backend)
        batch = requests(args.requests, resolved.settings.model)
        started = time.perf_counter()
        latencies, failures, simulated = await drive(llm, batch, args.concurrency)
        wall = time.perf_counter() - started
        totals = llm.totals
    is_simulated = resolved.settings.simulated or simulated > 0
    return {
        "label": SIM_LABEL if is_simulated else f"measured on {resolved.label}",
        "simulated": is_simulated,
        "provider": resolved.label,
        "base_url": resolved.settings.base_url,
        "backend": args.backend,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "samples": len(latencies),
        "failed": len(failures),
        "first_failure": failures[0] if failures else None,
        "wall_s": round(wall, 4),
        "calls_per_s": round(len(latencies) / wall, 2) if wall > 0 else None,
        **summary(latencies),
        "prompt_tokens": totals.prompt_tokens,
        "completion_tokens": totals.completion_tokens,
    }


def table(report: dict[str, Any]) -> Table:
    title = f"{report['provider']} · {report['requests']} requests at concurrency "
    title += f"{report['concurrency']} · {report['backend']}"
    if report["simulated"]:
        title += f" · {SIM_LABEL}"
    grid = Table(title=title)
    for column in ("calls/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "mean ms", "failed"):
        grid.add_column(column, justify="right")
    cells = [report[k] for k in ("p50_ms", "p90_ms", "p99_ms", "p99_9_ms", "mean_ms")]
    grid.add_row(
        f"{report['calls_per_s']}",
        *("-" if c is None else f"{c:.2f}" for c in cells),
        str(report["failed"]),
    )
    return grid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--provider", default="sim", help="PROVIDER[:MODEL], as for rafa run")
    parser.add_argument("--base-url", help="override the provider's base URL")
    parser.add_argument("--config", help="provider config file (default: ./rafa.toml if any)")
    parser.add_argument(
        "--send-intent",
        action=argparse.BooleanOptionalAction,
        help="send each request's structured intent (for a rafa sim-serve endpoint)",
    )
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backend", choices=("trio", "asyncio"), default="trio")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/provider_latency.json")
    )
    args = parse_args(parser, requests=40, concurrency=8)
    if min(args.requests, args.concurrency) < 1:
        parser.error("--requests and --concurrency must be >= 1")
    options = LLMOptions(
        provider=args.provider,
        base_url=args.base_url,
        config=args.config,
        send_intent=args.send_intent,
    )
    try:
        report = anyio.run(run, args, options, backend=args.backend)
    except RafaError as error:  # bad options: one line, as the rafa command line says it
        print(f"error: {error}", file=sys.stderr)
        return 2
    Console(width=None if sys.stdout.isatty() else 120).print(table(report))
    write_report(args.out, report)
    if report["samples"] == 0:
        print(f"error: every call failed: {report['first_failure']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
