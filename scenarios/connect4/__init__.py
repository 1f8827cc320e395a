"""Connect Four: a two-player game, its depth-limited negamax oracle, LLM prompts."""

from ._facts import memory_facts as memory_facts, played_fact as played_fact
from ._game import ConnectFour as ConnectFour
from ._negamax import (
    DEPTH as DEPTH,
    best_moves as best_moves,
    value as value,
    value_for as value_for,
)
from ._oracle import ConnectFourOracle as ConnectFourOracle
from ._parsers import (
    VALUE_WORDS as VALUE_WORDS,
    parse_move as parse_move,
    parse_reply as parse_reply,
    parse_value as parse_value,
)
from ._policies import NegamaxPolicy as NegamaxPolicy, RandomPolicy as RandomPolicy
from ._spec import game_spec as game_spec
from ._state import (
    COLUMNS as COLUMNS,
    PLAYERS as PLAYERS,
    ConnectFourState as ConnectFourState,
    opponent as opponent,
    state_from_key as state_from_key,
)
from ._world import ConnectFourMove as ConnectFourMove, ConnectFourWorld as ConnectFourWorld

__all__ = [
    "COLUMNS",
    "DEPTH",
    "PLAYERS",
    "VALUE_WORDS",
    "ConnectFour",
    "ConnectFourMove",
    "ConnectFourOracle",
    "ConnectFourState",
    "ConnectFourWorld",
    "NegamaxPolicy",
    "RandomPolicy",
    "best_moves",
    "game_spec",
    "memory_facts",
    "opponent",
    "parse_move",
    "parse_reply",
    "parse_value",
    "played_fact",
    "state_from_key",
    "value",
    "value_for",
]
