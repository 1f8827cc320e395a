"""One finished game of a tournament, as the ratings see it.

The runner stores much more per match (moves, per-seat calls, latencies);
ratings, SPRT and the score matrices need only who played whom, in which
seat order, and how it ended.  Everything they compute is a pure function
of a sequence of :class:`GameResult`, so it can be recomputed from the
database at any time.
"""

from __future__ import annotations

import msgspec


class GameResult(msgspec.Struct, frozen=True, kw_only=True):
    """A finished two-seat game between two participants."""

    match_id: str
    """Stable and unique within the tournament."""
    game: str
    """The game's name (``tictactoe``, ``connect4``...)."""
    first: str
    """The participant in the game's first seat (the one who moves first)."""
    second: str
    """The participant in the second seat."""
    score: float
    """``first``'s score: 1 a win, 0.5 a draw, 0 a loss (``second`` scores
    ``1 - score``)."""
    pairing: str
    """The pairing this game belongs to, the same for both colours: the two
    participants' names sorted and joined by `` vs ``."""
    pair: int | None = None
    """Games come in colour-swapped pairs: the two games of a pairing (and
    game) with the same ``pair`` index are the same opening seeds with the
    seats swapped.  ``None``: a game with no partner (an odd game count)."""
