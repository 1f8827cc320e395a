"""The RAFA agent: learn, plan for the future, act for now, store, replan."""

from __future__ import annotations

import itertools
from typing import Generic

import anyio

from rafa_async._env import EpisodeDriver
from rafa_async._events import PlanCancelled, PlanCompleted, PlanStarted
from rafa_async.agents._memory import Memory
from rafa_async.agents._switching import SwitchEveryStep, SwitchingCondition
from rafa_async.planners import Plan, Planner, WorldModel
from rafa_async.planners._base import S


class RafaAgent(Generic[S]):
    """Reason for Future, Act for Now (Liu et al., ICML 2024).

    Each cycle: the planner searches a multi-step trajectory from the current
    state with the memory buffer in its prompts (learning is in context); the
    agent executes only the *first* action, stores the environment's feedback
    in memory, and -- when the switching condition fires -- replans from the
    new state.  Otherwise it continues with the plan's next step.

    ``max_empty_plans`` bounds consecutive plans that produced no usable action
    (e.g. every sample malformed); then the agent gives up on the episode.
    """

    name = "rafa"

    def __init__(
        self,
        planner: Planner[S],
        world: WorldModel[S],
        *,
        switching: SwitchingCondition | None = None,
        memory: Memory | None = None,
        max_empty_plans: int = 3,
    ) -> None:
        self.planner = planner
        self.world = world
        self.switching = switching if switching is not None else SwitchEveryStep()
        self.memory = memory if memory is not None else Memory()
        self.max_empty_plans = max_empty_plans
        self.plans_made = 0
        self._plan_ids = itertools.count()

    async def run(self, driver: EpisodeDriver[S]) -> None:
        plan: Plan[S] | None = None
        empty = 0
        while not driver.over:
            if plan is None:
                plan = await self._plan(driver)
                if not plan.steps:
                    empty += 1
                    if empty >= self.max_empty_plans:
                        return
                    plan = None
                    continue
                empty = 0
            step = plan.steps[0]
            outcome = driver.act(step.action)
            self.memory.add(outcome.feedback)
            rest = plan.advance()
            replan = not rest.steps or self.switching.should_replan(
                predicted=self.world.key(step.predicted),
                observed=self.world.key(outcome.state),
                accepted=outcome.accepted,
                remaining=len(rest.steps),
            )
            plan = None if replan else rest

    async def _plan(self, driver: EpisodeDriver[S]) -> Plan[S]:
        plan_id = next(self._plan_ids)
        emit = driver.recorder.emit
        emit(
            PlanStarted(episode=driver.episode, plan=plan_id, state=driver.env.render(driver.state))
        )
        started = anyio.current_time()
        try:
            plan = await self.planner.plan(driver.state, self.memory.lines(), salt=plan_id)
        except anyio.get_cancelled_exc_class():
            emit(PlanCancelled(episode=driver.episode, plan=plan_id, reason="cancelled"))
            raise
        self.plans_made += 1
        emit(
            PlanCompleted(
                episode=driver.episode,
                plan=plan_id,
                actions=plan.actions,
                value=plan.value,
                complete=plan.complete,
                llm_calls=plan.stats.llm_calls,
                elapsed=anyio.current_time() - started,
            )
        )
        return plan
