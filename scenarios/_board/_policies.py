"""Scripted policies every board game has."""

from __future__ import annotations

import random
from typing import Generic

from ._state import S


class RandomPolicy(Generic[S]):
    """Plays a uniformly random legal move, from its own seeded generator."""

    def __init__(self, *, seed: int = 0) -> None:
        self.name = f"random(seed={seed})"
        self._rng = random.Random(seed)

    def move(self, state: S) -> str:
        legal = state.legal_moves()
        if not legal:
            raise ValueError(f"no move in a finished game ({state.result})")
        return self._rng.choice(legal)
