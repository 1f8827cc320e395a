"""Scripted Nim policies (no LLM): opponents, baselines, tests.

A policy maps a state to a move (``policy.move(state)``); the registry seats
one in a match.  Options are keyword-only, so a seed can never land in another.
"""

from __future__ import annotations

import random

from .. import _board
from ._nimsum import best_moves
from ._state import NimState


class RandomPolicy(_board.RandomPolicy[NimState]):
    """Plays a uniformly random legal move, from its own seeded generator."""


class PerfectPolicy:
    """Plays a best move by the nim-sum; wins whenever the position allows.

    Without a seed it is deterministic (the first best move); with one it
    picks among the best moves at random, so perfect play can be sampled in
    variety.
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self.name = "perfect" if seed is None else f"perfect(seed={seed})"
        self._rng = None if seed is None else random.Random(seed)

    def move(self, state: NimState) -> str:
        moves = best_moves(state)
        if not moves:
            raise ValueError(f"no move in a finished game ({state.result})")
        return moves[0] if self._rng is None else self._rng.choice(moves)
