"""Nim as a two-player :class:`~rafa_async.Game` for shared matches."""

from __future__ import annotations

from .._board import BoardGame
from ._state import PLAYERS, NimState


class Nim(BoardGame[NimState]):
    """Nim for players ``"A"`` (moves first) and ``"B"``, from heaps 3, 4 and 5.

    Actions are moves ``<heap>:<count>`` (see ``_state``).  The strict rules,
    rewards and feedback are :class:`~rafa_async.scenarios._board.BoardGame`'s;
    a game of Nim always has a winner, so it needs no ``draw_text``.
    """

    name = "nim"
    players: tuple[str, str] = PLAYERS
    title = "Nim"

    def reset(self, seed: int) -> NimState:
        """The start heaps (Nim has no randomness; ``seed`` is accepted so every
        game resets alike)."""
        return NimState.initial()

    def _win_text(self, state: NimState) -> str:
        return f"{state.winner} wins (took the last object)."
