"""The RAFA agent: learn, plan for the future, act for now, store, replan."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Generic

import anyio

from rafa_async._env import EpisodeDriver, Outcome
from rafa_async._events import PlanCancelled, PlanStarted
from rafa_async.agents._learning import Learner, RawFeedback
from rafa_async.agents._memory import Memory
from rafa_async.agents._switching import StepObserved, SwitchEveryStep, SwitchingCondition
from rafa_async.planners import Plan, Planner, WorldModel
from rafa_async.planners._base import S, plan_completed


class RafaAgent(Generic[S]):
    """Reason for Future, Act for Now (Liu et al., ICML 2024), Algorithm 1.

    The agent keeps the full memory D (every feedback, and with a
    ``reflect`` learner the lessons drawn from it) and a *snapshot* D_{t_k}
    of it.  Each cycle the planner searches a multi-step trajectory from the
    current state with the snapshot in its prompts (learning is in context);
    the agent executes only the first action and appends the feedback to D.
    The switching condition then decides whether to refresh the snapshot
    (k <- k+1, so the posterior changes) and plan anew.

    Between switches the policy is fixed (same snapshot, same posterior), so
    the rest of a plan whose prediction held is the policy's next actions:
    the agent reuses it (a memo of the policy) rather than asking again.  A
    plan that ran out, or a state off the predicted path, is replanned with
    the *old* snapshot.  With ``every-step`` (the default) every step
    switches: the plan always sees all the memory.

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
        learner: Learner[S] | None = None,
        memory: Memory | None = None,
        max_empty_plans: int = 3,
    ) -> None:
        self.planner = planner
        self.world = world
        self.switching = switching if switching is not None else SwitchEveryStep()
        self.learner: Learner[S] = learner if learner is not None else RawFeedback()
        self.memory = memory if memory is not None else Memory()
        self.max_empty_plans = max_empty_plans
        self.plans_made = 0
        self.switches = 0
        """How many times the snapshot was refreshed (the paper's k)."""
        self._plan_ids: Iterator[int] = itertools.count()

    async def run(self, driver: EpisodeDriver[S]) -> None:
        snapshot = self.memory.lines()
        plan: Plan[S] | None = None
        while not driver.over:
            if plan is None:
                plan = await self._usable_plan(driver, snapshot)
                if plan is None:
                    return
            step = plan.steps[0]
            before = driver.state
            outcome = driver.act(step.action)
            await self._learn(driver, before, step.action, outcome)
            rest = plan.advance()
            observed = StepObserved(
                predicted=self.world.key(step.predicted),
                observed=self.world.key(outcome.state),
                accepted=outcome.accepted,
                remaining=len(rest.steps),
                evidence=plan.evidence_of_first(),
            )
            if self.switching.should_switch(observed):
                snapshot = self.memory.lines()
                self.switches += 1
                plan = None
            else:
                plan = rest if rest.steps and observed.held else None

    async def _learn(
        self, driver: EpisodeDriver[S], state: S, action: str, outcome: Outcome[S]
    ) -> None:
        """Append the feedback to the memory, and the learner's lessons unless
        the episode is over (no plan would read them)."""
        self.memory.add(outcome.feedback)
        if driver.over:
            return
        for line in await self.learner.lessons(state, action, outcome, driver.steps):
            self.memory.add(line)

    async def _usable_plan(self, driver: EpisodeDriver[S], memory: Sequence[str]) -> Plan[S] | None:
        """A plan with at least one step, or ``None`` once ``max_empty_plans``
        plans in a row had none (the episode is given up).  An empty plan
        spends no interaction; each retry draws fresh samples."""
        for _ in range(max(1, self.max_empty_plans)):
            plan = await self._plan(driver, memory)
            if plan.steps:
                return plan
        return None

    async def _plan(self, driver: EpisodeDriver[S], memory: Sequence[str]) -> Plan[S]:
        plan_id = next(self._plan_ids)
        emit = driver.recorder.emit
        emit(
            PlanStarted(episode=driver.episode, plan=plan_id, state=driver.env.render(driver.state))
        )
        started = anyio.current_time()
        try:
            plan = await self.planner.plan(driver.state, memory, salt=plan_id)
        except anyio.get_cancelled_exc_class():
            emit(PlanCancelled(episode=driver.episode, plan=plan_id, reason="cancelled"))
            raise
        self.plans_made += 1
        elapsed = anyio.current_time() - started
        emit(plan_completed(plan, episode=driver.episode, plan_id=plan_id, elapsed=elapsed))
        return plan
