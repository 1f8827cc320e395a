"""Planners: concurrent search over an LLM world model."""

from rafa_async.planners._base import (
    Plan as Plan,
)
from rafa_async.planners._base import (
    Planner as Planner,
)
from rafa_async.planners._base import (
    PlanStats as PlanStats,
)
from rafa_async.planners._base import (
    Proposal as Proposal,
)
from rafa_async.planners._base import (
    WorldModel as WorldModel,
)
from rafa_async.planners._beam import BeamPlanner as BeamPlanner
