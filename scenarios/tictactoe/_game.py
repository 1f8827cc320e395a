"""Tic-tac-toe as a two-player :class:`~rafa_async.Game` for shared matches."""

from __future__ import annotations

from .._board import BoardGame
from ._state import PLAYERS, TicTacToeState


class TicTacToe(BoardGame[TicTacToeState]):
    """Tic-tac-toe for players ``"X"`` (moves first) and ``"O"``.

    Actions are cell names ``a1``..``c3`` (see ``_state``).  ``step`` is pure
    and strict: the host validates actions first, but a wrong player, a
    missing action, an illegal move or :data:`~rafa_async._game.NOOP` (this
    game has no ticks to miss) raise ``ValueError`` -- nothing is silently
    accepted.  Rewards are 0 until the end, then 1 for the winner and -1 for
    the loser (0 each on a draw).  Both players get the same feedback, which
    begins with the observed-move fact (``"X played b2 in ..."``) the
    simulated LLM learns from.
    """

    name = "tictactoe"
    players: tuple[str, str] = PLAYERS
    title = "Tic-tac-toe"
    draw_text = "The game is a draw."

    def reset(self, seed: int) -> TicTacToeState:
        """The empty board (tic-tac-toe has no randomness; ``seed`` is accepted
        so every game resets alike)."""
        return TicTacToeState.initial()

    def _win_text(self, state: TicTacToeState) -> str:
        return f"{state.winner} wins ({'-'.join(state.line)})."
