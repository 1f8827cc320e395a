"""How agents and planners talk to an LLM about tic-tac-toe.

:class:`TicTacToeWorld` builds the requests (prompt text plus the structured
intent the sim answers from) and parses the answers.  It satisfies the
planners' ``WorldModel`` (beam search) and ``GameModel`` (MPC) protocols
structurally: ``propose`` is the actor, ``predict`` the opponent model (what
the opponent will reply), ``evaluate`` the critic; ``outcome`` scores a
finished game by the rules.  This module imports no planner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async.llm import ChatRequest

from .._board import BoardLanguage, BoardWorld
from ._facts import played_fact
from ._learned import (
    VERDICTS,
    WINNER_DETAIL,
    Verdict,
    board_examples,
    board_fact,
    parse_board,
    parse_winner,
    transition_detail,
    transition_prompt,
    winner_examples,
    winner_fact,
    winner_prompt,
)
from ._parsers import parse_move, parse_reply, parse_value
from ._prompts import predict_prompt, propose_prompt, value_prompt
from ._state import TicTacToeState, opponent, state_from_key

SCENARIO = "tictactoe"


@dataclass(frozen=True, slots=True)
class TicTacToeMove:
    """A move the model proposed or predicted, and the position it leads to."""

    action: str
    predicted: TicTacToeState


_LANGUAGE = BoardLanguage(
    scenario=SCENARIO,
    state_from_key=state_from_key,
    opponent=opponent,
    make_move=TicTacToeMove,
    propose_prompt=propose_prompt,
    predict_prompt=predict_prompt,
    value_prompt=value_prompt,
    parse_move=parse_move,
    parse_reply=parse_reply,
    parse_value=parse_value,
)


class TicTacToeWorld(BoardWorld[TicTacToeState, TicTacToeMove]):
    """The tic-tac-toe world model; ``scenarios._board.BoardWorld`` says what its
    requests carry."""

    def __init__(self, *, model: str = "default") -> None:
        super().__init__(_LANGUAGE, model=model)

    def opponent(self, player: str) -> str:
        return opponent(player)

    # -- the learned dynamics and winner models (see ``_learned``) -------------------

    def transition_request(
        self, state: TicTacToeState, player: str, move: str, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        """Ask for the board after ``player`` plays ``move`` in ``state``."""
        memory = board_examples(memory)
        prompt = transition_prompt(state, player, move, memory)
        detail = transition_detail(player, move)
        return self._ask("predict", prompt, state, memory, sample, detail)

    def parse_transition(self, text: str) -> TicTacToeState:
        return parse_board(text)

    def winner_request(
        self, state: TicTacToeState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        """Ask who has won on ``state`` (or whether it is full, or goes on)."""
        memory = winner_examples(memory)
        prompt = winner_prompt(state, memory)
        return self._ask("evaluate", prompt, state, memory, sample, WINNER_DETAIL)

    def parse_winner(self, text: str) -> Verdict:
        return parse_winner(text)

    # -- each model's in-context example (what a misprediction teaches) --------------

    def opponent_example(self, player: str, move: str, state: TicTacToeState) -> str:
        return played_fact(player, move, state.key)

    def transition_example(
        self, player: str, move: str, state: TicTacToeState, after: TicTacToeState
    ) -> str:
        return board_fact(player, move, state.key, after.key)

    def winner_example(self, state: TicTacToeState, verdict: str) -> str:
        if verdict not in VERDICTS:
            raise ValueError(f"not a verdict: {verdict!r} (expected one of {', '.join(VERDICTS)})")
        return winner_fact(state.key, verdict)
