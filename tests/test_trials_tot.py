"""tot-trials: ToT as the RAFA paper's code runs it (a whole plan per
interaction, from the start, fresh samples, nothing learnt)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from rafa_async import EpisodeDriver
from rafa_async.agents import TrialsToT
from rafa_async.app import AgentOptions, make_agent
from rafa_async.planners import Plan, PlanStats
from rafa_async.scenarios import get_scenario, simulated_llm
from rafa_async.scenarios.game24 import Game24Env, Game24State

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Step:
    action: str
    predicted: Game24State


class Recording:
    """A planner that returns ``steps`` as its plan, recording what it was given."""

    def __init__(self, steps: Sequence[str]) -> None:
        self.steps = steps
        self.seen: list[tuple[str, tuple[str, ...], int]] = []

    async def plan(self, state: Game24State, memory: Sequence[str], *, salt: int = 0) -> Plan[Any]:
        self.seen.append((state.key, tuple(memory), salt))
        steps = tuple(Step(action=text, predicted=state) for text in self.steps)
        return Plan(steps, 0.5, stats=PlanStats(llm_calls=1))


async def test_each_trial_is_a_whole_plan_from_the_start_with_fresh_samples_and_no_memory(
    anyio_backend: Any,
) -> None:
    # 4 9 10 13: 13 - 9 = 4 is accepted, 4 * 4 = 16 leaves 10 16, which cannot reach 24.
    planner = Recording(["13 - 9 = 4 (left: 4 4 10)", "4 * 4 = 16 (left: 10 16)"])
    agent = TrialsToT(planner, get_scenario("game24").world())
    driver = EpisodeDriver(Game24Env([4, 9, 10, 13]), episode="e", max_steps=5)

    await agent.run(driver)

    assert driver.steps == 5  # every interaction spent, one per trial
    assert planner.seen == [("4 9 10 13", (), salt) for salt in range(5)]
    for action, outcome in driver.history:
        assert action.splitlines() == list(planner.steps)  # submitted whole
        assert "cannot reach 24" in outcome.feedback  # checked line by line


async def test_a_solving_trial_ends_the_episode(anyio_backend: Any) -> None:
    planner = Recording(
        ["13 - 9 = 4 (left: 4 4 10)", "10 - 4 = 6 (left: 4 6)", "4 * 6 = 24 (left: 24)"]
    )
    agent = TrialsToT(planner, get_scenario("game24").world())
    driver = EpisodeDriver(Game24Env([4, 9, 10, 13]), episode="e", max_steps=20)

    await agent.run(driver)

    assert (driver.steps, driver.done, driver.reward) == (1, True, 1.0)


async def test_empty_plans_spend_nothing_and_give_up_after_three(anyio_backend: Any) -> None:
    planner = Recording([])
    agent = TrialsToT(planner, get_scenario("game24").world())
    driver = EpisodeDriver(Game24Env([4, 9, 10, 13]), episode="e", max_steps=20)

    await agent.run(driver)

    assert (driver.steps, len(planner.seen)) == (0, 3)


async def test_the_agent_kind_is_the_paper_tot_on_the_sim(anyio_backend: Any) -> None:
    benchmark = get_scenario("game24")
    agent = make_agent("tot-trials", AgentOptions(), simulated_llm(), benchmark)
    assert isinstance(agent, TrialsToT)
