"""A plain trio program that embeds rafa-async matches and watches them live.

No web server: the program owns its event loop (trio here; the same code
runs on asyncio), starts two matches in a MatchManager and, while they
play, prints every move and each RAFA plan as the events arrive.  Leaving
the ``async with`` cancels whatever is still running: no task outlives it.

    python examples/trio_watch.py [--latency-scale 0]

Every match runs on the embedded SIMULATED LLM: a simulation, not a real model.
"""

from __future__ import annotations

import argparse
from typing import Any

import trio

from rafa_async.llm import SIM_LABEL
from rafa_async.server import MatchManager, MatchRequest


async def watch(manager: MatchManager, match_id: str, lines: list[str]) -> None:
    """Every move and finished plan of one match, as it happens."""
    async with manager.subscribe(match_id) as events:
        async for event in events:
            kind = event["type"]
            if kind == "MatchTransition":
                lines.append(f"{match_id[:6]} turn {event['turn']}: {event['actions']}")
            elif kind == "PlanCompleted":
                lines.append(f"{match_id[:6]} plan {event['actions']} value {event['value']:.2f}")
            elif kind == "MatchClosed":
                lines.append(f"{match_id[:6]} {event['status']}")


async def main(latency_scale: float) -> list[dict[str, Any]]:
    lines: list[str] = []
    async with MatchManager(latency_scale=latency_scale) as manager:
        ids = [
            manager.start(MatchRequest(game="tictactoe", seats={"X": "rafa", "O": "random"})),
            manager.start(MatchRequest(game="nim", seats={"A": "rafa", "B": "perfect"})),
        ]
        async with trio.open_nursery() as nursery:
            for match_id in ids:
                nursery.start_soon(watch, manager, match_id, lines)
        views = [manager.get(match_id) for match_id in ids]
    print(SIM_LABEL)
    print("\n".join(lines))
    results = [v.result for v in views if v.result is not None]
    for result in results:
        print(f"{result.game}: scores {result.scores} in {result.turns} turns")
    return [{"game": r.game, "scores": r.scores} for r in results]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-scale", type=float, default=0.0)
    trio.run(main, parser.parse_args().latency_scale)
