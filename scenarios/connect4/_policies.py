"""Scripted Connect Four policies (no LLM): opponents, baselines, tests.

A policy maps a state to a move (``policy.move(state)``); to seat one in a
match, wrap it: ``PolicyPlayer(lambda seat: policy.move(seat.state))``.
"""

from __future__ import annotations

import random

from .. import _board
from ._negamax import DEPTH, best_moves
from ._state import ConnectFourState


class RandomPolicy(_board.RandomPolicy[ConnectFourState]):
    """Plays a uniformly random legal move, from its own seeded generator."""


class NegamaxPolicy:
    """Plays a best move of a ``depth``-ply negamax search.

    Strong tactically (it never misses a win or a forced loss within its
    horizon), not perfect.  Without a seed it is deterministic (the most
    central best move); with one it picks among the best moves at random.

    Both options are keyword-only: they are both ints, and a seed passed
    positionally became the depth (0: an error; a large seed: a search that
    never ends).
    """

    cpu_heavy = True
    """A search can take milliseconds (seconds at a large depth): a
    :class:`~rafa_async.agents.PolicyPlayer` runs it in a thread, so it
    blocks neither the match nor Ctrl-C."""

    def __init__(self, *, depth: int = DEPTH, seed: int | None = None) -> None:
        if depth < 1:
            raise ValueError(f"search depth must be >= 1 ply, got {depth}")
        self.depth = depth
        self.name = f"negamax(depth={depth})" if seed is None else f"negamax({depth}, {seed})"
        self._rng = None if seed is None else random.Random(seed)

    def move(self, state: ConnectFourState) -> str:
        moves = best_moves(state, self.depth)
        if not moves:
            raise ValueError(f"no move in a finished game ({state.result})")
        return moves[0] if self._rng is None else self._rng.choice(moves)
