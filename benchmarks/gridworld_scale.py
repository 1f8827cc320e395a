"""Foraging gridworld at scale: step, observe, nearest food, render, oracle, memory.

Pure CPU costs of the scenario (no match host, no event bus, no LLM latency),
in real wall time, for 1,000 and 10,000 agents (maps keep ~11% of cells
occupied by agents, food ~2%):

* ``step``: one tick with random moves, and one with greedy moves (more
  collisions and eating); best and median of ``--ticks`` ticks.
* ``index``: building the per-state indexes (cell -> agent, buckets) once.
* ``observe`` / ``local_view`` / ``nearest_food``: per agent, indexes built.
* ``render``: the digest of a large state (first call; later calls are cached).
* ``oracle``: ``ForagingOracle.respond`` per call (propose, predict, evaluate)
  on real local views, default noise -- what the simulated LLM adds per call.
* memory: bytes per agent of a state (its buffers), and of a state with every
  index built (tracemalloc).

    .venv/bin/python benchmarks/gridworld_scale.py
    .venv/bin/python benchmarks/gridworld_scale.py --ticks 50 \
        --json benchmarks/results/gridworld_scale.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from _report import destination, parse_args

from rafa_async.llm import Intent, SimContext
from rafa_async.scenarios.gridworld import (
    MOVES,
    Foraging,
    ForagingOracle,
    ForagingState,
    GreedyPolicy,
)

SIZES = ((1_000, 95, 200), (10_000, 300, 2_000))


def timed(fn: Any, *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def bench(n: int, side: int, n_food: int, ticks: int) -> dict[str, Any]:
    game = Foraging(side, side, n, n_food, seed=1, max_ticks=10 * ticks, vision=3)
    rng = random.Random(0)
    state = game.reset(0)
    random_steps = []
    for _ in range(ticks):
        actions = {p: rng.choice(MOVES) for p in game.players}
        started = time.perf_counter()
        state = game.step(state, actions).state
        random_steps.append(time.perf_counter() - started)
    greedy = GreedyPolicy(game, seed=2)
    greedy_steps, eaten, collisions = [], 0, 0
    for _ in range(ticks):
        actions = {p: greedy.move(state, p) for p in game.players}
        started = time.perf_counter()
        result = game.step(state, actions)
        greedy_steps.append(time.perf_counter() - started)
        eaten += len(result.rewards)
        collisions += sum("collision" in f for f in result.feedback.values())
        state = result.state

    fresh = game.step(state, {p: "stay" for p in game.players}).state
    index = timed(lambda: (fresh.occupant(), fresh.buckets(game.bucket_size)))
    players = game.players
    observe = timed(lambda: [game.observe(fresh, p) for p in players]) / n
    view = timed(lambda: [game.local_view(fresh, p) for p in players]) / n
    nearest = timed(lambda: [game.nearest_food(fresh, p) for p in players]) / n
    greedy_move = timed(lambda: [greedy.move(fresh, p) for p in players]) / n
    render = timed(lambda: game.render(fresh))

    oracle = ForagingOracle()
    views = [game.local_view(fresh, p) for p in players[:1000]]
    calls: dict[str, float] = {}
    for kind in ("propose", "predict", "evaluate"):
        keys = [(v.choose("E") if kind == "predict" else v).key for v in views]
        memory = ("a0 moved N from (3, 4) to (3, 3) and ate food (tick 2)",)
        ctxs = [
            SimContext(
                Intent(kind=kind, scenario="gridworld", state=k, memory=memory),  # type: ignore[arg-type]
                oracle.default_noise,
                0,
                random.Random(i),
            )
            for i, k in enumerate(keys)
        ]
        calls[kind] = timed(lambda c=ctxs: [oracle.respond(x) for x in c]) / len(ctxs)

    source = game.reset(5)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    bare = ForagingState(
        tick=0,
        positions=bytes(bytearray(source.positions)),
        food=frozenset(list(source.food)),
        eaten=bytes(bytearray(source.eaten)),
        width=side,
        height=side,
        seed=0,
    )
    compact = tracemalloc.get_traced_memory()[0]
    bare.cells()
    decoded = tracemalloc.get_traced_memory()[0]
    bare.occupant()
    bare.buckets(game.bucket_size)
    indexed = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "agents": n,
        "map": f"{side}x{side}",
        "food": n_food,
        "step_random_ms": {
            "best": min(random_steps) * 1e3,
            "median": statistics.median(random_steps) * 1e3,
        },
        "step_greedy_ms": {
            "best": min(greedy_steps) * 1e3,
            "median": statistics.median(greedy_steps) * 1e3,
        },
        "greedy_eaten_per_tick": eaten / ticks,
        "greedy_collisions_per_tick": collisions / ticks,
        "index_build_ms": index * 1e3,
        "observe_us_per_agent": observe * 1e6,
        "local_view_us_per_agent": view * 1e6,
        "nearest_food_us_per_agent": nearest * 1e6,
        "greedy_move_us_per_agent": greedy_move * 1e6,
        "render_digest_ms": render * 1e3,
        "oracle_us_per_call": {k: v * 1e6 for k, v in calls.items()},
        "state_buffers_bytes_per_agent": (len(bare.positions) + len(bare.eaten)) / n,
        "state_bytes_per_agent": (compact - base) / n,
        "state_with_cells_bytes_per_agent": (decoded - base) / n,
        "state_with_indexes_bytes_per_agent": (indexed - base) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parse_args(parser, ticks=2)
    results = [bench(n, side, food, args.ticks) for n, side, food in SIZES]
    report = {
        "command": " ".join(sys.argv),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "results": results,
    }
    text = json.dumps(report, indent=2)
    print(text)
    out = destination(args.json)
    if out is not None:
        out.write_text(text + "\n")


if __name__ == "__main__":
    main()
