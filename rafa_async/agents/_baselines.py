"""Baselines run on the same LLM and budget as RAFA."""

from __future__ import annotations

from typing import Generic

from rafa_async._env import EpisodeDriver
from rafa_async._errors import LLMError, MalformedResponse
from rafa_async.agents._memory import Memory
from rafa_async.agents._rafa import RafaAgent
from rafa_async.llm import LLM
from rafa_async.planners import Planner, WorldModel
from rafa_async.planners._base import S
from rafa_async.scenarios import AttemptModel


class OpenLoopAgent(RafaAgent[S]):
    """Tree of Thoughts as an open-loop planner: plan once, execute the whole plan.

    Feedback is neither stored nor used, and there is no replanning; the
    episode ends when the plan does.  Same planner and search parameters as RAFA.
    """

    name = "tot"

    def __init__(self, planner: Planner[S], world: WorldModel[S]) -> None:
        super().__init__(planner, world)

    async def run(self, driver: EpisodeDriver[S]) -> None:
        plan = await self._plan(driver, self.memory.lines())
        for step in plan.steps:
            if driver.over:
                return
            driver.act(step.action)


class ReflexionAgent(Generic[S]):
    """Reflexion-style: answer in one go, and after a failure reflect and retry.

    Each trial is one LLM call for a full attempt (no look-ahead), submitted
    whole as one environment interaction; the environment's feedback (for a
    line-by-line checked attempt, one verdict per step) goes into memory
    line by line, as RAFA's does, and a failed trial adds a self-reflection
    (one more call) on that feedback for the next trial.  Trials continue until solved or the
    episode's interaction cap is spent, or until ``max_failed_calls`` answers in
    a row fail with an LLM error (a failed call spends no interaction).
    """

    name = "reflexion"

    def __init__(
        self,
        llm: LLM,
        world: AttemptModel[S],
        *,
        max_trials: int | None = None,
        max_failed_calls: int = 3,
    ) -> None:
        self.llm = llm
        self.world = world
        self.max_trials = max_trials
        self.max_failed_calls = max_failed_calls
        self.memory = Memory()

    async def run(self, driver: EpisodeDriver[S]) -> None:
        trial = 0
        failures = 0
        while not driver.over and (self.max_trials is None or trial < self.max_trials):
            state = driver.restart()
            request = self.world.solve_request(state, self.memory.lines(), trial)
            try:
                attempt = (await self.llm.complete(request)).text
            except LLMError:
                trial += 1
                failures += 1
                if failures >= self.max_failed_calls:
                    return
                continue
            failures = 0
            try:
                action = self.world.parse_solution(attempt)
            except MalformedResponse:
                # Submit what the model wrote; the environment explains why it fails.
                action = attempt.strip().splitlines()[-1] if attempt.strip() else "(empty answer)"
            outcome = driver.act(action)
            for line in outcome.feedback.splitlines():
                self.memory.add(line)
            trial += 1
            if driver.over or (self.max_trials is not None and trial >= self.max_trials):
                return
            await self._reflect(state, attempt, outcome.feedback, trial)

    async def _reflect(self, state: S, attempt: str, feedback: str, trial: int) -> None:
        request = self.world.reflect_request(state, attempt, feedback, trial)
        try:
            text = (await self.llm.complete(request)).text
            self.memory.add(self.world.parse_reflection(text))
        except LLMError:
            return


class DirectAgent(ReflexionAgent[S]):
    """One LLM call for the whole answer, one submission: the IO-prompting floor."""

    name = "direct"

    def __init__(self, llm: LLM, world: AttemptModel[S]) -> None:
        super().__init__(llm, world, max_trials=1)
