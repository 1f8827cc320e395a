"""Nim: the smallest complete game here, and the example to copy when adding one.

Normal-play Nim for players A (moves first) and B: heaps 3, 4 and 5; a move
(``2:3``) takes one or more objects from one heap; whoever takes the last
object wins.  The nim-sum says exactly who wins, so the simulated LLM's
oracle is exact without a search.

A two-player alternating game is these files, each small because
``scenarios._board`` does the shared work: ``_state`` (the position, its
key and rules), ``_nimsum`` (the exact theory; other games search here),
``_game`` (a ``BoardGame``), ``_facts`` (the observed-move line the sim
learns from), ``_prompts`` and ``_parsers`` (what the LLM is asked and how
its answers are read), ``_world`` (a ``BoardWorld`` from a
``BoardLanguage``), ``_oracle`` (a ``BoardOracle``), ``_policies`` (fixed
players) and ``_spec`` (``game_spec()``: what ``rafa play`` needs).  One
line in ``scenarios._games.GAME_PACKAGES`` makes it playable (``rafa play
nim``); the game contract tests, which loop over that registry, then check
it, so its own tests keep only what is particular to it.
"""

from ._facts import memory_facts as memory_facts, played_fact as played_fact
from ._game import Nim as Nim
from ._nimsum import (
    best_moves as best_moves,
    nim_sum as nim_sum,
    value as value,
    value_for as value_for,
)
from ._oracle import NimOracle as NimOracle
from ._parsers import (
    VALUE_WORDS as VALUE_WORDS,
    parse_move as parse_move,
    parse_reply as parse_reply,
    parse_value as parse_value,
)
from ._policies import PerfectPolicy as PerfectPolicy, RandomPolicy as RandomPolicy
from ._spec import game_spec as game_spec
from ._state import (
    PLAYERS as PLAYERS,
    START as START,
    NimState as NimState,
    opponent as opponent,
    state_from_key as state_from_key,
)
from ._world import NimMove as NimMove, NimWorld as NimWorld

__all__ = [
    "PLAYERS",
    "START",
    "VALUE_WORDS",
    "Nim",
    "NimMove",
    "NimOracle",
    "NimState",
    "NimWorld",
    "PerfectPolicy",
    "RandomPolicy",
    "best_moves",
    "game_spec",
    "memory_facts",
    "nim_sum",
    "opponent",
    "parse_move",
    "parse_reply",
    "parse_value",
    "played_fact",
    "state_from_key",
    "value",
    "value_for",
]
