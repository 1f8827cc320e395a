"""Tic-tac-toe (a RAFA benchmark): a two-player game, its minimax oracle, LLM prompts."""

from ._facts import memory_facts as memory_facts, played_fact as played_fact
from ._game import TicTacToe as TicTacToe
from ._minimax import best_moves as best_moves, value as value, value_for as value_for
from ._oracle import TicTacToeOracle as TicTacToeOracle
from ._parsers import (
    VALUE_WORDS as VALUE_WORDS,
    parse_move as parse_move,
    parse_reply as parse_reply,
    parse_value as parse_value,
)
from ._policies import PerfectPolicy as PerfectPolicy, RandomPolicy as RandomPolicy
from ._spec import game_spec as game_spec
from ._state import (
    CELLS as CELLS,
    PLAYERS as PLAYERS,
    TicTacToeState as TicTacToeState,
    opponent as opponent,
    state_from_key as state_from_key,
)
from ._world import TicTacToeMove as TicTacToeMove, TicTacToeWorld as TicTacToeWorld

__all__ = [
    "CELLS",
    "PLAYERS",
    "VALUE_WORDS",
    "PerfectPolicy",
    "RandomPolicy",
    "TicTacToe",
    "TicTacToeMove",
    "TicTacToeOracle",
    "TicTacToeState",
    "TicTacToeWorld",
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
