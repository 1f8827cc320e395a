"""How agents and planners talk to an LLM about tic-tac-toe.

:class:`TicTacToeWorld` builds the requests (prompt text plus the structured
intent the sim answers from) and parses the answers.  It satisfies the
planners' ``WorldModel`` (beam search) and ``GameModel`` (MPC) protocols
structurally: ``propose`` is the actor, ``predict`` the opponent model (what
the opponent will reply), ``evaluate`` the critic; ``outcome`` scores a
finished game by the rules.  This module imports no planner.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._board import BoardLanguage, BoardWorld
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
