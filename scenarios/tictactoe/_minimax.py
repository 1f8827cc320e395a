"""Exact tic-tac-toe: full minimax over every reachable position, memoised.

Scores prefer quick wins and slow losses (a win with ``n`` pieces on the board
scores ``10 - n``), so a perfect player takes an immediate win instead of a
slower forced one; :func:`value` reports only the game-theoretic result
(1 win, 0 draw, -1 loss).  There are 5,478 reachable positions; the first
full search takes a few tens of milliseconds and every later call is a lookup.
"""

from __future__ import annotations

from functools import cache

from ._state import CELLS, EMPTY, TicTacToeState, winning_line

PREFERENCE = (4, 0, 2, 6, 8, 1, 3, 5, 7)
"""Tie-break among equally good moves: centre, corners, edges (board indices)."""


@cache
def _search(board: tuple[str, ...]) -> tuple[int, tuple[int, ...]]:
    """Score for the player to move, and the cells (by preference) that keep it."""
    pieces = 9 - board.count(EMPTY)
    if winning_line(board) is not None:
        return -(10 - pieces), ()
    if pieces == 9:
        return 0, ()
    mover = "X" if pieces % 2 == 0 else "O"
    scores: dict[int, int] = {}
    for i in PREFERENCE:
        if board[i] == EMPTY:
            child = (*board[:i], mover, *board[i + 1 :])
            scores[i] = -_search(child)[0]
    best = max(scores.values())
    return best, tuple(i for i, s in scores.items() if s == best)


def score_for(state: TicTacToeState, player: str) -> int:
    """The minimax score of ``state`` for ``player`` (positive: ``player`` wins)."""
    score = _search(state.board)[0]
    return score if player == state.to_play else -score


def value(state: TicTacToeState) -> float:
    """The result with best play, for the player to move: 1.0, 0.0 or -1.0.

    In a finished game the player "to move" is the one who did not make the
    last move, so a won game is -1.0 here.
    """
    score = _search(state.board)[0]
    return float((score > 0) - (score < 0))


def value_for(state: TicTacToeState, player: str) -> float:
    """:func:`value` from ``player``'s side."""
    v = value(state)
    return v if player == state.to_play else -v


def best_moves(state: TicTacToeState) -> tuple[str, ...]:
    """The moves that keep the best score (quickest win, slowest loss), in the
    tie-break order centre, corners, edges; empty when the game is over."""
    return tuple(CELLS[i] for i in _search(state.board)[1])
