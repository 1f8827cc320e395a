"""Compute-matched Tree of Thoughts: open-loop ToT given RAFA's LLM-call budget."""

from __future__ import annotations

from rafa_async._env import EpisodeDriver
from rafa_async.agents._baselines import OpenLoopAgent
from rafa_async.planners import Plan, Planner, WorldModel
from rafa_async.planners._base import S


class ComputeMatchedToT(OpenLoopAgent[S]):
    """Open-loop ToT that spends about ``call_budget`` LLM calls per task.

    RAFA spends more calls than one ToT search; this baseline asks whether
    RAFA's advantage is its feedback loop or just its extra compute.  It
    spends the budget on independent ToT searches (restarts) from the start
    state -- the same planner, prompts and search parameters as ``tot``,
    each with fresh samples (its own salt) -- and executes the plan the
    model's own judge valued highest, open loop, exactly as ``tot`` does.
    No environment feedback enters: the only difference from ``tot`` is the
    compute.

    Why restarts rather than a wider search (a larger ``n_generate`` or
    beam): a restart costs what one ToT search costs, so the budget is met
    to within half a search on every task, and best-of-N with the model's
    own value judge is the textbook way to turn more samples into a better
    open-loop answer.  Widening changes the search's shape, and its cost
    is only roughly linear in the width.

    A restart is started while the budget left is at least half the mean
    cost of a search so far (so the spend is the budget, rounded to the
    nearest whole search); there is always one, and at most
    ``max_restarts``.  Cancelling the calling task cancels the search in
    progress (see :meth:`RafaAgent.run`).
    """

    name = "tot-matched"

    def __init__(
        self,
        planner: Planner[S],
        world: WorldModel[S],
        *,
        call_budget: float,
        max_restarts: int = 1000,
    ) -> None:
        if not call_budget > 0:
            raise ValueError(f"call_budget must be > 0, got {call_budget}")
        super().__init__(planner, world)
        self.call_budget = call_budget
        self.max_restarts = max_restarts
        self.calls_spent = 0
        self.restarts = 0

    async def run(self, driver: EpisodeDriver[S]) -> None:
        best: Plan[S] | None = None
        while True:
            plan = await self._plan(driver, self.memory.lines())
            self.restarts += 1
            self.calls_spent += plan.stats.llm_calls
            if plan.steps and (best is None or plan.value > best.value):
                best = plan
            per_search = self.calls_spent / self.restarts
            left = self.call_budget - self.calls_spent
            if per_search <= 0 or left < per_search / 2 or self.restarts >= self.max_restarts:
                break
        if best is None:
            return
        for step in best.steps:
            if driver.over:
                return
            driver.act(step.action)
