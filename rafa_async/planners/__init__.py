"""Planners: concurrent search over an LLM world model."""

from rafa_async.planners._base import (
    Plan as Plan,
    Planner as Planner,
    PlanStats as PlanStats,
    Proposal as Proposal,
    WorldModel as WorldModel,
)
from rafa_async.planners._beam import BeamPlanner as BeamPlanner
from rafa_async.planners._greedy import ActorModel as ActorModel, GreedyPlanner as GreedyPlanner
from rafa_async.planners._mpc import GameModel as GameModel, MPCPlanner as MPCPlanner

__all__ = [
    "ActorModel",
    "BeamPlanner",
    "GameModel",
    "GreedyPlanner",
    "MPCPlanner",
    "Plan",
    "PlanStats",
    "Planner",
    "Proposal",
    "WorldModel",
]
