"""Connect Four as a two-player :class:`~rafa_async.Game` for shared matches."""

from __future__ import annotations

from .._board import BoardGame
from ._state import PLAYERS, ConnectFourState


class ConnectFour(BoardGame[ConnectFourState]):
    """Connect Four (7 columns, 6 rows) for players ``"R"`` (red, moves first)
    and ``"Y"`` (yellow).

    Actions are column numbers ``"1"``..``"7"``.  ``step`` is pure and strict:
    the host validates actions first, but a wrong player, a missing action, an
    illegal move (a full column, not a column) or
    :data:`~rafa_async._game.NOOP` (this game has no ticks to miss) raise
    ``ValueError`` -- nothing is silently accepted.  Rewards are 0 until the
    end, then 1 for the winner and -1 for the loser (0 each on a draw).  Both
    players get the same feedback, which begins with the observed-move fact
    (``"R played 4 in ..."``) the simulated LLM learns from.
    """

    name = "connect4"
    players: tuple[str, str] = PLAYERS
    title = "Connect four"
    draw_text = "The game is a draw (the board is full)."

    def reset(self, seed: int) -> ConnectFourState:
        """The empty board (the game has no randomness; ``seed`` is accepted so
        every game resets alike)."""
        return ConnectFourState.initial()

    def _win_text(self, state: ConnectFourState) -> str:
        return f"{state.winner} wins with four in a row."
