"""Tree of Thoughts as the RAFA paper's code runs it: repeated trials, no feedback."""

from __future__ import annotations

from rafa_async._env import EpisodeDriver
from rafa_async.agents._baselines import OpenLoopAgent
from rafa_async.planners._base import S


class TrialsToT(OpenLoopAgent[S]):
    """ToT retried from the start until solved or the interaction cap is spent.

    The paper's ToT baseline ("ToT (b=1, 20 trials)"): its code (``run.py``
    without ``--feedback``) submits a whole ToT plan, and when the answer is
    wrong it plans again from the puzzle's start, with fresh samples and
    nothing learnt -- the environment keeps neither the accepted steps nor
    the feedback.  Each trial is one environment interaction: the plan's
    steps go to the environment as one multi-line attempt, checked line by
    line.  It is RAFA with neither learning (no memory) nor acting for now
    (the whole plan is submitted), so it is the baseline that separates the
    two from plain resampling.  ``tot`` is the single trial.

    A plan with no usable step spends no interaction; after
    ``max_empty_plans`` of them in a row the episode is given up (as RAFA
    does), so an LLM that never answers cannot loop forever.
    """

    name = "tot-trials"

    async def run(self, driver: EpisodeDriver[S]) -> None:
        while not driver.over:
            driver.restart()
            plan = await self._usable_plan(driver, ())
            if plan is None:
                return
            driver.act("\n".join(plan.actions))
