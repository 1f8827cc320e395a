"""20 matches on the sim watched by 100 WebSocket clients through ``rafa serve``, against the same
matches run headless.

Three runs of the same matches (same requests, same seeds, same sim
latency), each in its own process so CPU time and peak RSS are its own:

* ``headless``: a :class:`~rafa_async.server.MatchManager` in a child
  process, no HTTP server, no watchers;
* ``server``: ``rafa serve --port 0`` in a child process, the matches
  started over REST and followed by polling ``GET /matches`` -- the cost of
  the HTTP server alone;
* ``server+ws``: the same, with ``--clients-per-match`` WebSocket clients
  on each match's ``/matches/{id}/events`` (5 x 20 = 100 by default).

The clients run in this process (aiohttp on asyncio).  Delay: for every
event a client receives, ``time.monotonic()`` at receipt minus the event's
``ts`` -- the server's event-loop clock when the event was recorded and
published.  On asyncio that clock is ``loop.time()``, i.e.
``time.monotonic()`` (CLOCK_MONOTONIC, one clock for every process of the
machine), so the difference spans the bus, the JSON encoding, the socket
and the client's own event loop.  The snapshot and the closing message
carry no ``ts`` and are not counted.

Figures: wall time of the 20 matches, CPU seconds and peak RSS (VmHWM) of
the process playing them, each match's own ``wall_s`` against its headless
twin (no match slowed: ratios near 1, identical move digests), events
delivered and per second, the delay's p50/p90/p99/p99.9, and the events
watchers missed (``rafa_bus_dropped_events_total``: the ``latest`` policy).
The clients share the machine's cores with the server: on a small machine
their CPU time bounds the figures (it is reported too).

All figures come from the SIMULATED LLM (calls sleep their simulated
latency, scaled by --latency-scale), not from a real model.

    uv run python benchmarks/server_fanout.py [--matches 20] [--clients-per-match 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import msgspec
from _report import destination, parse_args, write_report
from rich.console import Console
from rich.table import Table

from rafa_async.llm import SIM_LABEL
from rafa_async.server import MatchManager, MatchRequest

RESULTS = Path(__file__).parent / "results" / "server_fanout.json"
GAMES = (("tictactoe", {"X": "rafa", "O": "random"}), ("connect4", {"R": "rafa", "Y": "random"}))
POLL_S = 0.05
"""How often a server run asks whether every match is over (its wall time's precision)."""
QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p99.9": 0.999}
_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def requests(matches: int) -> list[MatchRequest]:
    """The matches every run plays: the two games in turn, RAFA against random, seeds 1..N."""
    return [
        MatchRequest(game=GAMES[i % 2][0], seats=GAMES[i % 2][1], seed=i + 1)
        for i in range(matches)
    ]


# -- process figures (psutil is not a dependency: /proc) ------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set of ``pid`` in MB (VmHWM of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc: this benchmark needs Linux")


def percentiles(delays: Sequence[float]) -> dict[str, float | None]:
    """The delay quantiles, in ms (``None`` without two samples)."""
    if len(delays) < 2:
        return dict.fromkeys(QUANTILES)
    cuts = statistics.quantiles(delays, n=1000, method="inclusive")
    return {name: round(1000 * cuts[round(q * 1000) - 1], 2) for name, q in QUANTILES.items()}


def match_figures(views: list[dict[str, Any]]) -> dict[str, Any]:
    """Each match's own wall time and status, and its moves and scores (to compare runs: a
    log digest names the match id, which differs from run to run)."""
    return {
        "match_wall_s": [round(v["result"]["wall_s"], 3) for v in views],
        "statuses": [v["status"] for v in views],
        "play": [[v["moves"], v["result"]["scores"]] for v in views],
    }


# -- headless: the manager in a child process ------------------------------------


async def headless(matches: int, latency_scale: float) -> dict[str, Any]:
    async with MatchManager(max_matches=32, latency_scale=latency_scale, seed=0) as manager:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        ids = [manager.start(request) for request in requests(matches)]
        views = [await manager.wait(match_id) for match_id in ids]
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    results = [msgspec.to_builtins(v) for v in views]
    return {
        "mode": "headless",
        "watchers": 0,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": peak_rss_mb(),
        **match_figures(results),
    }


# -- the server runs: rafa serve in a child, the clients here ----------------------


def start_server(latency_scale: float, log: Any) -> tuple[subprocess.Popen[str], str]:
    rafa = Path(sys.executable).parent / "rafa"
    command = [str(rafa), "serve", "--port", "0", "--latency-scale", str(latency_scale)]
    command += ["--max-matches", "32", "--max-ws-clients", "200"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    assert server.stdout is not None
    for line in server.stdout:
        found = _URL.search(line)
        if found:
            return server, found[0]
    server.wait()
    raise RuntimeError(f"rafa serve exited ({server.returncode}) before listening")


def stop_server(server: subprocess.Popen[str]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()


async def drive(url: str, pid: int, matches: int, per_match: int) -> dict[str, Any]:
    """Start the matches, watch them with ``per_match`` clients each, until all are over."""
    import aiohttp

    delays: list[float] = []
    closed = 0

    async def watch(session: aiohttp.ClientSession, match_id: str) -> None:
        nonlocal closed
        async with session.ws_connect(f"{url}/matches/{match_id}/events") as ws:
            async for message in ws:
                now = time.monotonic()
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                event = msgspec.json.decode(message.data)
                if "ts" in event:
                    delays.append(now - event["ts"])
                elif event["type"] == "MatchClosed":
                    closed += 1

    connector = aiohttp.TCPConnector(limit=0)  # 100 WebSockets hold 100 connections
    async with aiohttp.ClientSession(connector=connector) as session:
        client_cpu0, server_cpu0 = time.process_time(), cpu_seconds(pid)
        wall0 = time.perf_counter()
        ids = []
        for request in requests(matches):
            async with session.post(f"{url}/matches", data=msgspec.json.encode(request)) as r:
                ids.append((await r.json())["id"])
        async with anyio.create_task_group() as tg:
            for match_id in ids:
                for _ in range(per_match):
                    tg.start_soon(watch, session, match_id)
            while True:  # the same poll with or without watchers: the same wall clock
                async with session.get(f"{url}/matches", params={"limit": "200"}) as r:
                    page = await r.json()
                if all(m["status"] != "running" for m in page["matches"]):
                    break
                await anyio.sleep(POLL_S)
            wall = time.perf_counter() - wall0
            server_cpu = cpu_seconds(pid) - server_cpu0
        client_cpu = time.process_time() - client_cpu0
        results = []
        for match_id in ids:
            async with session.get(f"{url}/matches/{match_id}") as r:
                results.append(await r.json())
        async with session.get(f"{url}/metrics") as r:
            metrics = await r.text()
    drops = re.search(r"^rafa_bus_dropped_events_total (\S+)$", metrics, re.MULTILINE)
    return {
        "mode": "server+ws" if per_match else "server",
        "watchers": matches * per_match,
        "wall_s": round(wall, 3),
        "cpu_s": round(server_cpu, 3),
        "client_cpu_s": round(client_cpu, 3),
        "peak_rss_mb": peak_rss_mb(pid),
        "events_delivered": len(delays),
        "events_per_s": round(len(delays) / wall, 1),
        "streams_closed": closed,
        "dropped_events": float(drops[1]) if drops else None,
        "delay_ms": percentiles(delays),
        "delay_ms_max": round(1000 * max(delays), 2) if delays else None,
        **match_figures(results),
    }


def server_run(matches: int, per_match: int, latency_scale: float) -> dict[str, Any]:
    with tempfile.TemporaryFile("w+") as log:
        server, url = start_server(latency_scale, log)
        try:
            return anyio.run(drive, url, server.pid, matches, per_match, backend="asyncio")
        finally:
            stop_server(server)


# -- the report ------------------------------------------------------------------------


def compare(run: dict[str, Any], base: dict[str, Any]) -> None:
    """Each match's wall time against its headless twin, and whether it played the same moves."""
    ratios = [w / b for w, b in zip(run["match_wall_s"], base["match_wall_s"], strict=True) if b]
    run["match_slowdown_median"] = round(statistics.median(ratios), 3) if ratios else None
    run["match_slowdown_max"] = round(max(ratios), 3) if ratios else None
    run["same_moves_as_headless"] = run["play"] == base["play"]
    run["wall_vs_headless"] = round(run["wall_s"] / base["wall_s"], 3) if base["wall_s"] else None
    run["cpu_vs_headless"] = round(run["cpu_s"] / base["cpu_s"], 3) if base["cpu_s"] else None


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def print_tables(console: Console, runs: list[dict[str, Any]], latency_scale: float) -> None:
    cost = Table(
        title=f"the same matches, headless and served [{SIM_LABEL}], latency x{latency_scale}"
    )
    for column in (
        "mode", "watchers", "wall s", "x headless", "CPU s", "CPU x headless", "peak RSS MB",
        "match slow-down med/max", "same moves",
    ):  # fmt: skip
        cost.add_column(column, justify="right")
    for r in runs:
        cost.add_row(
            r["mode"], str(r["watchers"]), f"{r['wall_s']:.2f}",
            _fmt(r.get("wall_vs_headless"), ".3f"), f"{r['cpu_s']:.2f}",
            _fmt(r.get("cpu_vs_headless"), ".2f"), f"{r['peak_rss_mb']:.0f}",
            f"{_fmt(r.get('match_slowdown_median'), '.3f')}/"
            f"{_fmt(r.get('match_slowdown_max'), '.3f')}",
            str(r.get("same_moves_as_headless", "-")),
        )  # fmt: skip
    console.print(cost)
    fanout = Table(title=f"fan-out: publish -> client receive [{SIM_LABEL}]")
    for column in (
        "watchers", "events", "events/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
        "dropped", "client CPU s",
    ):  # fmt: skip
        fanout.add_column(column, justify="right")
    for r in runs:
        if "delay_ms" in r and r["watchers"]:
            d = r["delay_ms"]
            fanout.add_row(
                str(r["watchers"]), str(r["events_delivered"]), f"{r['events_per_s']:.0f}",
                *(_fmt(d[q], ".2f") for q in QUANTILES), _fmt(r["delay_ms_max"], ".2f"),
                _fmt(r["dropped_events"], ".0f"), f"{r['client_cpu_s']:.2f}",
            )  # fmt: skip
    console.print(fanout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matches", type=int, default=20)
    parser.add_argument("--clients-per-match", type=int, default=5)
    parser.add_argument("--latency-scale", type=float, default=1.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parse_args(parser, matches=2, clients_per_match=2, latency_scale=0.05)
    if args.child:
        figures = anyio.run(headless, args.matches, args.latency_scale, backend="asyncio")
        print(json.dumps(figures))
        return
    command = [sys.executable, __file__, "--child", "--matches", str(args.matches)]
    command += ["--latency-scale", str(args.latency_scale)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    base = json.loads(done.stdout.strip().splitlines()[-1])
    runs = [base]
    for per_match in (0, args.clients_per_match):
        runs.append(server_run(args.matches, per_match, args.latency_scale))
        compare(runs[-1], base)
    console = Console(width=140)
    print_tables(console, runs, args.latency_scale)
    watched = runs[-1]
    p99 = watched["delay_ms"]["p99"]
    console.print(
        f"p99 {_fmt(p99, '.2f')} ms (goal < 50 ms); slowest match x"
        f"{_fmt(watched['match_slowdown_max'], '.3f')} its headless time",
        highlight=False,
    )
    for r in runs:
        del r["play"]
    write_report(
        args.out,
        {
            "simulated": True,
            "label": SIM_LABEL,
            "latency_scale": args.latency_scale,
            "matches": args.matches,
            "clients_per_match": args.clients_per_match,
            "games": [game for game, _ in GAMES],
            "backend": "asyncio",
            "poll_s": POLL_S,
            "p99_ms": p99,
            "p99_under_50ms": p99 is not None and p99 < 50,
            "runs": runs,
        },
        "aiohttp",
    )
    console.print(f"wrote {destination(args.out)}")


if __name__ == "__main__":
    main()
