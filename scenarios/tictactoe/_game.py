"""Tic-tac-toe as a two-player :class:`~rafa_async.Game` for shared matches."""

from __future__ import annotations

from collections.abc import Mapping

from rafa_async import NOOP, Step

from ._board import PLAYERS, TicTacToeState
from ._facts import played_fact


class TicTacToe:
    """Tic-tac-toe for players ``"X"`` (moves first) and ``"O"``.

    Actions are cell names ``a1``..``c3`` (see ``_board``).  ``step`` is pure
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

    def reset(self, seed: int) -> TicTacToeState:
        """The empty board (tic-tac-toe has no randomness; ``seed`` is accepted
        so every game resets alike)."""
        return TicTacToeState.initial()

    def to_move(self, state: TicTacToeState) -> tuple[str, ...]:
        return () if state.done else (state.to_play,)

    def legal_actions(self, state: TicTacToeState, player: str) -> tuple[str, ...]:
        """Empty cells for the player to move; nothing for anyone else."""
        self._check_player(player)
        return state.legal_moves() if player in self.to_move(state) else ()

    def step(self, state: TicTacToeState, actions: Mapping[str, str]) -> Step[TicTacToeState]:
        if state.done:
            raise ValueError(f"tictactoe: the game is over ({state.result}); no more moves")
        mover = state.to_play
        others = sorted(p for p in actions if p != mover)
        if others:
            raise ValueError(
                f"tictactoe: it is {mover}'s turn; {', '.join(others)} may not move now"
            )
        if mover not in actions:
            raise ValueError(f"tictactoe: no action for {mover}, whose turn it is")
        action = actions[mover]
        if action == NOOP:
            raise ValueError(f"tictactoe: {mover} must move; {NOOP!r} is not a move here")
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

    def observe(self, state: TicTacToeState, player: str) -> str:
        self._check_player(player)
        return (
            f"Tic-tac-toe, position {state.key} after {state.moves} moves\n"
            f"{state.render()}\nYou play {player}. {self._outcome(state)}"
        )

    def render(self, state: TicTacToeState) -> str:
        """The position's key: compact, and enough to rebuild the state."""
        return state.key

    def scores(self, state: TicTacToeState) -> dict[str, float]:
        """1 for a win, 0.5 for a draw, 0 for a loss.  A game stopped early (a
        host's turn limit) stands as a draw: nobody has won yet."""
        winner = state.winner
        if winner is None:
            return dict.fromkeys(self.players, 0.5)
        return {p: 1.0 if p == winner else 0.0 for p in self.players}

    def _check_player(self, player: str) -> None:
        if player not in self.players:
            raise ValueError(f"tictactoe: unknown player {player!r} (players: X, O)")

    @staticmethod
    def _outcome(state: TicTacToeState) -> str:
        if state.winner is not None:
            return f"{state.winner} wins ({'-'.join(state.line)})."
        if state.done:
            return "The game is a draw."
        return f"{state.to_play} to move."
