"""The shortest horizon: one proposal, no look-ahead (RAFA at scale)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic

from rafa_async._errors import LLMError
from rafa_async.llm import LLM
from rafa_async.planners._base import Plan, PlanStats, S
from rafa_async.scenarios import ActorModel

_FAILED = PlanStats(llm_calls=1, failed_calls=1, levels=1)
_ONE_CALL = PlanStats(llm_calls=1, levels=1, evaluated=0)


class GreedyPlanner(Generic[S]):
    """Plans one step: a single proposal call, awaited in the caller's task.

    With the memory in the prompt and replanning on every transition this is
    still RAFA (learn, plan, act for now, store), with horizon one -- the
    configuration thousands of agents in a real-time game can afford: one
    LLM call per agent and tick, and no task spawned per plan.
    """

    def __init__(self, llm: LLM, model: ActorModel[S]) -> None:
        self.llm = llm
        self.model = model

    async def plan(self, state: S, memory: Sequence[str], *, player: str, salt: int = 0) -> Plan[S]:
        request = self.model.propose_request(state, memory, salt)
        try:
            text = (await self.llm.complete(request)).text
            move = self.model.parse_move(state, text)
        except LLMError:
            return Plan((), 0.0, True, _FAILED)
        return Plan((move,), 0.0, True, _ONE_CALL)
