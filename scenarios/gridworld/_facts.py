"""The one phrasing of an observed move, shared by the game's feedback and the sim.

The game tells an agent about the notable outcomes of its moves only (eating,
bumping into the border, colliding), so feedback stays sparse with thousands
of agents::

    a3 moved N from (10, 4) to (10, 3) and ate food (tick 12)
    a3 moved N from (10, 0) toward (10, -1): the border; stayed (tick 12)
    a3 moved E from (4, 4) toward (5, 4): collision; stayed (tick 12)

Each names the cell the move aimed at, so an agent that keeps its feedback in
memory holds evidence of which way each direction goes; the simulated LLM reads
it back with :func:`observed_moves` (the posterior that corrects a confused
prior about the axes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._view import Point

_FACT_RE = re.compile(
    r"\bmoved (?P<move>[NSEW]) from \((?P<x>\d+), (?P<y>\d+)\) "
    r"(?:to|toward) \((?P<tx>-?\d+), (?P<ty>-?\d+)\)"
)


def ate_fact(player: str, move: str, start: Point, end: Point, tick: int) -> str:
    return f"{player} moved {move} from {_p(start)} to {_p(end)} and ate food (tick {tick})"


def border_fact(player: str, move: str, start: Point, aim: Point, tick: int) -> str:
    return (
        f"{player} moved {move} from {_p(start)} toward {_p(aim)}: the border; stayed (tick {tick})"
    )


def collision_fact(player: str, move: str, start: Point, aim: Point, tick: int) -> str:
    return (
        f"{player} moved {move} from {_p(start)} toward {_p(aim)}: collision; stayed (tick {tick})"
    )


def observed_moves(lines: Iterable[str]) -> dict[str, Point]:
    """The step each direction was seen to aim at: ``{"N": (0, -1), ...}``.

    A "fact" that is not one step (a garbled or invented line) is ignored;
    among consistent ones the latest wins.
    """
    seen: dict[str, Point] = {}
    for line in lines:
        for match in _FACT_RE.finditer(line):
            dx = int(match["tx"]) - int(match["x"])
            dy = int(match["ty"]) - int(match["y"])
            if abs(dx) + abs(dy) == 1:
                seen[match["move"]] = (dx, dy)
    return seen


def _p(point: Point) -> str:
    return f"({point[0]}, {point[1]})"
