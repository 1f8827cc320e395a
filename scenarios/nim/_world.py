"""How agents and planners talk to an LLM about Nim.

:class:`NimWorld` builds the requests (prompt text plus the structured
intent the sim answers from) and parses the answers; ``scenarios._board``
does the work, given Nim's :class:`~rafa_async.scenarios._board.BoardLanguage`:
its key, its prompts and its parsers.  This module imports no planner.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._board import BoardLanguage, BoardWorld
from ._parsers import parse_move, parse_reply, parse_value
from ._prompts import predict_prompt, propose_prompt, value_prompt
from ._state import NimState, opponent, state_from_key

SCENARIO = "nim"


@dataclass(frozen=True, slots=True)
class NimMove:
    """A move the model proposed or predicted, and the position it leads to."""

    action: str
    predicted: NimState


_LANGUAGE = BoardLanguage(
    scenario=SCENARIO,
    state_from_key=state_from_key,
    opponent=opponent,
    make_move=NimMove,
    propose_prompt=propose_prompt,
    predict_prompt=predict_prompt,
    value_prompt=value_prompt,
    parse_move=parse_move,
    parse_reply=parse_reply,
    parse_value=parse_value,
)


class NimWorld(BoardWorld[NimState, NimMove]):
    """The Nim world model; ``scenarios._board.BoardWorld`` says what its
    requests carry."""

    def __init__(self, *, model: str = "default") -> None:
        super().__init__(_LANGUAGE, model=model)
