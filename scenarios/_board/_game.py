"""The strict :class:`~rafa_async.Game` rules every board game shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Generic

from rafa_async import NOOP, Step

from ._facts import played_fact
from ._state import S


class BoardGame(ABC, Generic[S]):
    """The strict :class:`~rafa_async.Game` rules every board game shares.

    ``step`` is pure and strict: a wrong player, a missing action, an illegal
    move or :data:`~rafa_async._game.NOOP` (board games have no ticks to
    miss) raise ``ValueError``.  Rewards are 0 until the end, then 1 for the
    winner and -1 for the loser (0 each on a draw).  Both players get the same
    feedback, which begins with the :func:`played_fact` the sim learns from.
    """

    name: str
    players: tuple[str, str]
    title: str
    """The game's name at the start of an observation (``"Tic-tac-toe"``)."""
    draw_text: str
    """How a drawn game is announced."""

    @abstractmethod
    def reset(self, seed: int) -> S: ...

    @abstractmethod
    def _win_text(self, state: S) -> str:
        """How ``state``'s win is announced (``state.winner`` is set)."""

    def to_move(self, state: S) -> tuple[str, ...]:
        return () if state.done else (state.to_play,)

    def legal_actions(self, state: S, player: str) -> tuple[str, ...]:
        """The legal moves of the player to move; nothing for anyone else."""
        self._check_player(player)
        return state.legal_moves() if player in self.to_move(state) else ()

    def step(self, state: S, actions: Mapping[str, str]) -> Step[S]:
        name = self.name
        if state.done:
            raise ValueError(f"{name}: the game is over ({state.result}); no more moves")
        mover = state.to_play
        others = sorted(p for p in actions if p != mover)
        if others:
            raise ValueError(f"{name}: it is {mover}'s turn; {', '.join(others)} may not move now")
        if mover not in actions:
            raise ValueError(f"{name}: no action for {mover}, whose turn it is")
        action = actions[mover]
        if action == NOOP:
            raise ValueError(f"{name}: {mover} must move; {NOOP!r} is not a move here")
        nxt = state.play(action)
        text = f"{played_fact(mover, action, state.key)}, giving {nxt.key}; {self._outcome(nxt)}"
        rewards = dict.fromkeys(self.players, 0.0)
        if nxt.winner is not None:
            rewards = {p: 1.0 if p == nxt.winner else -1.0 for p in self.players}
        return Step(
            nxt,
            rewards=rewards,
            feedback=dict.fromkeys(self.players, text),
            done=nxt.done,
        )

    def observe(self, state: S, player: str) -> str:
        self._check_player(player)
        return (
            f"{self.title}, position {state.key} after {state.moves} moves\n"
            f"{state.render()}\nYou play {player}. {self._outcome(state)}"
        )

    def render(self, state: S) -> str:
        """The position's key: compact, and enough to rebuild the state."""
        return state.key

    def scores(self, state: S) -> dict[str, float]:
        """1 for a win, 0.5 for a draw, 0 for a loss.  A game stopped early (a
        host's turn limit) stands as a draw: nobody has won yet."""
        winner = state.winner
        if winner is None:
            return dict.fromkeys(self.players, 0.5)
        return {p: 1.0 if p == winner else 0.0 for p in self.players}

    def _check_player(self, player: str) -> None:
        if player not in self.players:
            known = ", ".join(self.players)
            raise ValueError(f"{self.name}: unknown player {player!r} (players: {known})")

    def _outcome(self, state: S) -> str:
        if state.winner is not None:
            return self._win_text(state)
        if state.done:
            return self.draw_text
        return f"{state.to_play} to move."
