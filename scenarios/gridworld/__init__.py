"""Foraging gridworld: a real-time, simultaneous-move map for thousands of agents,
its sim oracle, LLM prompts, parsers and world model."""

from ._facts import (
    ate_fact as ate_fact,
    border_fact as border_fact,
    collision_fact as collision_fact,
    observed_moves as observed_moves,
)
from ._game import FULL_RENDER_LIMIT as FULL_RENDER_LIMIT, Foraging as Foraging
from ._oracle import ForagingOracle as ForagingOracle
from ._parsers import (
    parse_move as parse_move,
    parse_position as parse_position,
    parse_value as parse_value,
)
from ._policies import (
    GreedyPolicy as GreedyPolicy,
    RandomPolicy as RandomPolicy,
    StayPolicy as StayPolicy,
)
from ._spec import game_spec as game_spec
from ._state import DELTAS as DELTAS, MOVES as MOVES, ForagingState as ForagingState
from ._view import (
    LocalView as LocalView,
    food_value as food_value,
    view_from_key as view_from_key,
)
from ._world import (
    SCENARIO as SCENARIO,
    ForagingMove as ForagingMove,
    ForagingWorld as ForagingWorld,
    PlanState as PlanState,
)

__all__ = [
    "DELTAS",
    "FULL_RENDER_LIMIT",
    "MOVES",
    "SCENARIO",
    "Foraging",
    "ForagingMove",
    "ForagingOracle",
    "ForagingState",
    "ForagingWorld",
    "GreedyPolicy",
    "LocalView",
    "PlanState",
    "RandomPolicy",
    "StayPolicy",
    "ate_fact",
    "border_fact",
    "collision_fact",
    "food_value",
    "game_spec",
    "observed_moves",
    "parse_move",
    "parse_position",
    "parse_value",
    "view_from_key",
]
