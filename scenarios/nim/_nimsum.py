"""Exact Nim by the nim-sum (Bouton's theorem), with no search.

The nim-sum is the bitwise XOR of the heap sizes.  The player to move wins
with best play exactly when it is not 0, and the winning moves are those
that leave it 0.  So the sim's oracle and the perfect policy are exact at no
cost; a game without such a theory would search here instead (tic-tac-toe's
minimax, Connect Four's negamax).
"""

from __future__ import annotations

from functools import reduce
from operator import xor

from ._state import NimState


def nim_sum(heaps: tuple[int, ...]) -> int:
    return reduce(xor, heaps, 0)


def value(state: NimState) -> float:
    """The result with best play for the player to move: 1.0 (a win) or -1.0.

    In a finished game the player "to move" is the one who did not take the
    last object, so a finished game is -1.0 here.
    """
    return 1.0 if nim_sum(state.heaps) else -1.0


def value_for(state: NimState, player: str) -> float:
    """:func:`value` from ``player``'s side."""
    v = value(state)
    return v if player == state.to_play else -v


def best_moves(state: NimState) -> tuple[str, ...]:
    """The moves that keep the best result, in ``legal_moves`` order: those
    leaving a nim-sum of 0, or -- when there are none and every move loses
    against best play -- every move.  Empty when the game is over."""
    total = nim_sum(state.heaps)
    if not total:
        return state.legal_moves()
    return tuple(
        f"{heap}:{size - (size ^ total)}"
        for heap, size in enumerate(state.heaps, 1)
        if size ^ total < size
    )
