"""Planners: concurrent search over an LLM world model."""

from rafa_async.planners._base import (
    Alternative as Alternative,
    Plan as Plan,
    Planner as Planner,
    PlanStats as PlanStats,
    Proposal as Proposal,
    ValueSample as ValueSample,
    WorldModel as WorldModel,
)
from rafa_async.planners._beam import BeamPlanner as BeamPlanner
from rafa_async.planners._greedy import GreedyPlanner as GreedyPlanner
from rafa_async.planners._mcts import MCTSPlanner as MCTSPlanner
from rafa_async.planners._mpc import MPCPlanner as MPCPlanner
from rafa_async.planners._to_end import (
    LearnedGameModel as LearnedGameModel,
    SearchToEndPlanner as SearchToEndPlanner,
)
from rafa_async.scenarios import ActorModel as ActorModel, GameModel as GameModel

__all__ = [
    "ActorModel",
    "Alternative",
    "BeamPlanner",
    "GameModel",
    "GreedyPlanner",
    "LearnedGameModel",
    "MCTSPlanner",
    "MPCPlanner",
    "Plan",
    "PlanStats",
    "Planner",
    "Proposal",
    "SearchToEndPlanner",
    "ValueSample",
    "WorldModel",
]
