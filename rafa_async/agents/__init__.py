"""Agents: RAFA and the baselines it is compared with."""

from rafa_async.agents._base import Agent as Agent
from rafa_async.agents._base import AttemptModel as AttemptModel
from rafa_async.agents._baselines import (
    DirectAgent as DirectAgent,
)
from rafa_async.agents._baselines import (
    OpenLoopAgent as OpenLoopAgent,
)
from rafa_async.agents._baselines import (
    ReflexionAgent as ReflexionAgent,
)
from rafa_async.agents._memory import Memory as Memory
from rafa_async.agents._rafa import RafaAgent as RafaAgent
from rafa_async.agents._switching import (
    SwitchEveryStep as SwitchEveryStep,
)
from rafa_async.agents._switching import (
    SwitchingCondition as SwitchingCondition,
)
from rafa_async.agents._switching import (
    SwitchOnSurprise as SwitchOnSurprise,
)
