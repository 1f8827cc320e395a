"""Scripted foraging policies (no LLM): baselines, crowds and tests.

A policy maps a state and a player to a move (``policy.move(state, player)``);
to seat one in a match, wrap it:
``PolicyPlayer(lambda seat: policy.move(seat.state, seat.player))``.

Random draws are hashed from ``(seed, tick, player)`` rather than taken from
a shared generator, so thousands of players can share one policy object and
the moves do not depend on the order in which their tasks happen to run (the
same match log on trio and asyncio).
"""

from __future__ import annotations

import zlib

from ._game import Foraging
from ._state import DELTAS, MOVES, ForagingState

_MASK = (1 << 64) - 1


def _unit(seed: int, tick: int, player: str) -> float:
    """A uniform number in [0, 1) from ``(seed, tick, player)`` (splitmix64)."""
    z = (
        seed * 0x9E3779B97F4A7C15 + tick * 0xBF58476D1CE4E5B9 + zlib.crc32(player.encode())
    ) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) / 2**64


class StayPolicy:
    """Never moves."""

    name = "stay"

    def move(self, state: ForagingState, player: str) -> str:
        return "stay"


class RandomPolicy:
    """A uniformly random move (of the five), drawn from ``(seed, tick, player)``."""

    def __init__(self, *, seed: int = 0) -> None:
        self.name = f"random(seed={seed})"
        self.seed = seed

    def move(self, state: ForagingState, player: str) -> str:
        return MOVES[int(_unit(self.seed, state.tick, player) * len(MOVES))]


class GreedyPolicy:
    """Steps toward the nearest food on the whole map (:meth:`Foraging.nearest_food`),
    preferring a step onto a cell no agent stands on; stays when there is no food.

    With probability ``explore`` it takes a random step instead: greedy agents
    converging on one cell from opposite sides would otherwise bounce off each
    other forever.
    """

    def __init__(self, game: Foraging, *, seed: int = 0, explore: float = 0.1) -> None:
        if not 0.0 <= explore <= 1.0:
            raise ValueError(f"explore must be in [0, 1], got {explore}")
        self.name = f"greedy(seed={seed}, explore={explore})"
        self.game = game
        self.seed = seed
        self.explore = explore

    def move(self, state: ForagingState, player: str) -> str:
        game = self.game
        target = game.nearest_food(state, player)
        if target is None:
            return "stay"
        u = _unit(self.seed, state.tick, player)
        if u < self.explore:
            return "NSEW"[int(u / self.explore * 4) % 4]
        x, y = game.position(state, player)
        tx, ty = target
        closer = [
            m for m, d in (("E", tx - x), ("W", x - tx), ("S", ty - y), ("N", y - ty)) if d > 0
        ]
        free = [
            m for m in closer if game.agent_at(state, x + DELTAS[m][0], y + DELTAS[m][1]) is None
        ]
        options = free or closer
        return options[0] if len(options) == 1 else options[int(u * 1024) % len(options)]
