"""MCTS on BlocksWorld instances: optimal plans from a noise-free sim, and
legal, mostly successful plans as the sim's noise grows.

The planner searches over the sim's answers only (the world model's
propose/predict/evaluate prompts); the environment then checks each plan.
"""

from __future__ import annotations

from typing import Any

import pytest

from rafa_async.llm import LatencyModel, NoiseModel, SimLLM
from rafa_async.planners import MCTSPlanner
from rafa_async.scenarios.blocksworld import (
    BlocksWorldEnv,
    BlocksWorldModel,
    BlocksWorldOracle,
    task_set,
)
from rafa_async.scenarios.blocksworld._solver import distance

SMALL = task_set("step_4")[:4]
"""Four 4-step instances: small enough for a test, each with a 4-step optimum."""


def sim(noise: NoiseModel) -> SimLLM:
    oracle = BlocksWorldOracle()
    return SimLLM({"blocksworld": oracle}, seed=0, noise=noise, latency=LatencyModel(scale=0))


async def plan_and_check(task: Any, noise: NoiseModel, simulations: int = 16) -> tuple[bool, int]:
    """(whether the plan reaches the goal in the real environment, its length)."""
    env = BlocksWorldEnv(task)
    start = env.reset()
    planner = MCTSPlanner(
        sim(noise),
        BlocksWorldModel(),
        simulations=simulations,
        concurrency=4,
        n_generate=4,
        n_evaluate=1,
        depth=task.max_steps,
    )
    plan = await planner.plan(start, ())
    state = start
    for action in plan.actions:
        outcome = env.step(state, action)
        if not outcome.accepted:
            return False, len(plan.actions)
        state = outcome.state
        if outcome.done:
            return True, len(plan.actions)
    return False, len(plan.actions)


@pytest.mark.anyio
@pytest.mark.parametrize("task", SMALL, ids=lambda t: f"step_4-{t.number}")
async def test_a_noise_free_sim_leads_mcts_to_the_optimal_plan(
    anyio_backend: Any, task: Any
) -> None:
    reached, length = await plan_and_check(task, NoiseModel.perfect())

    env = BlocksWorldEnv(task)
    start = env.reset()
    assert reached
    assert length == distance(env.rules, start.facts, start.goal) == 4


@pytest.mark.anyio
async def test_with_noise_mcts_loses_plans_as_the_noise_grows(anyio_backend: Any) -> None:
    success = {}
    for wrong in (0.0, 0.15, 0.3):
        noise = NoiseModel.perfect(wrong_belief_rate=wrong, proposal_quality=1.0 - wrong)
        results = [await plan_and_check(task, noise) for task in SMALL]
        success[wrong] = sum(reached for reached, _ in results) / len(SMALL)

    # Wrong beliefs about what an action does cost plans, more as they grow,
    # but a plan is still a plan: every one was executed and checked above.
    assert success[0.0] == 1.0
    assert 0.0 < success[0.15] < 1.0
    assert success[0.15] >= success[0.3]
