"""The iterated prisoner's dilemma for N players: simultaneous moves, classic
strategies, and a sim oracle whose beliefs about opponents learn from memory."""

from ._beliefs import (
    HYPOTHESES as HYPOTHESES,
    PRIOR as PRIOR,
    infer as infer,
    move_values as move_values,
)
from ._facts import Fact as Fact, memory_facts as memory_facts, played_fact as played_fact
from ._game import PrisonersDilemma as PrisonersDilemma
from ._oracle import PrisonersDilemmaOracle as PrisonersDilemmaOracle
from ._parsers import (
    parse_move as parse_move,
    parse_prediction as parse_prediction,
    parse_value as parse_value,
)
from ._policies import (
    AlwaysCooperate as AlwaysCooperate,
    AlwaysDefect as AlwaysDefect,
    Grim as Grim,
    Random as Random,
    Reactive as Reactive,
    Strategy as Strategy,
    TitForTat as TitForTat,
    seat_policy as seat_policy,
)
from ._spec import game_spec as game_spec
from ._state import (
    CLASSIC as CLASSIC,
    COOPERATE as COOPERATE,
    DEFECT as DEFECT,
    MOVES as MOVES,
    IPDState as IPDState,
    Payoffs as Payoffs,
    PendingRound as PendingRound,
    Rules as Rules,
    node_from_key as node_from_key,
    state_from_key as state_from_key,
)
from ._world import IPDMove as IPDMove, Node as Node, PrisonersDilemmaWorld as PrisonersDilemmaWorld

__all__ = [
    "CLASSIC",
    "COOPERATE",
    "DEFECT",
    "HYPOTHESES",
    "MOVES",
    "PRIOR",
    "AlwaysCooperate",
    "AlwaysDefect",
    "Fact",
    "Grim",
    "IPDMove",
    "IPDState",
    "Node",
    "Payoffs",
    "PendingRound",
    "PrisonersDilemma",
    "PrisonersDilemmaOracle",
    "PrisonersDilemmaWorld",
    "Random",
    "Reactive",
    "Rules",
    "Strategy",
    "TitForTat",
    "game_spec",
    "infer",
    "memory_facts",
    "move_values",
    "node_from_key",
    "parse_move",
    "parse_prediction",
    "parse_value",
    "played_fact",
    "seat_policy",
    "state_from_key",
]
