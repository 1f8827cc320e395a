"""BeamPlanner: concurrency, accounting, anytime deadlines and cancellation.

The sim's latency is a fixed 1.0 s per call, so virtual time measures the
critical path exactly: a level is one proposal round plus one evaluation round.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import anyio
import pytest
import trio
from support import CALL_SECONDS, game24_sim as sim

from rafa_async import ProviderError
from rafa_async.llm import (
    LLM,
    ChatRequest,
    ChatResponse,
    ConcurrencyLimit,
    SimLLM,
)
from rafa_async.planners import BeamPlanner, Plan
from rafa_async.scenarios.game24 import (
    Game24Env,
    Game24State,
    Game24World,
    puzzles,
)

PUZZLE = (4, 9, 10, 13)
EPSILON = 1e-6


class CountingLLM:
    """Records every request and how each call ended."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.requests: list[ChatRequest] = []
        self.completed = 0
        self.failed = 0
        self.cancelled = 0

    @property
    def started(self) -> int:
        return len(self.requests)

    @property
    def in_flight(self) -> int:
        return self.started - self.completed - self.failed - self.cancelled

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        try:
            response = await self.inner.complete(request)
        except anyio.get_cancelled_exc_class():
            self.cancelled += 1
            raise
        except BaseException:
            self.failed += 1
            raise
        self.completed += 1
        return response


class FailingEvaluations:
    """Every evaluation call fails with a provider error; proposals go through."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if request.label == "evaluate":
            await anyio.sleep(CALL_SECONDS)
            raise ProviderError("evaluation refused", status=500)
        return await self.inner.complete(request)


def start() -> Game24State:
    return Game24Env(PUZZLE).reset()


async def timed_plan(planner: BeamPlanner[Game24State]) -> tuple[Plan[Game24State], float]:
    began = anyio.current_time()
    plan = await planner.plan(start(), ())
    return plan, anyio.current_time() - began


def running_tasks(backend: str) -> int:
    if backend == "asyncio":
        return len(asyncio.all_tasks())
    count = 0
    pending = [trio.lowlevel.current_root_task()]
    while pending:
        task = pending.pop()
        count += 1
        for nursery in task.child_nurseries:
            pending.extend(nursery.child_tasks)
    return count


@pytest.mark.anyio
async def test_plan_takes_two_call_times_per_level_not_one_per_call(anyio_backend: Any) -> None:
    llm = CountingLLM(sim())
    planner = BeamPlanner(llm, Game24World())

    plan, elapsed = await timed_plan(planner)

    # 4 numbers -> 3 levels, each a proposal stage then an evaluation stage.
    assert plan.stats.levels == 3
    assert elapsed == pytest.approx(3 * 2 * CALL_SECONDS, abs=EPSILON)
    assert llm.started > 3 * 2 * 2


@pytest.mark.anyio
async def test_plan_reaches_24_with_a_perfect_model(anyio_backend: Any) -> None:
    env = Game24Env(PUZZLE)
    planner = BeamPlanner(sim(), Game24World())

    plan = await planner.plan(env.reset(), ())

    assert plan.complete
    assert len(plan.steps) == 3
    state = env.reset()
    for action in plan.actions:
        outcome = env.step(state, action)
        assert outcome.accepted, outcome.feedback
        state = outcome.state
    assert state.solved


@pytest.mark.anyio
async def test_plan_through_a_limit_of_one_takes_one_call_time_per_call(anyio_backend: Any) -> None:
    llm = CountingLLM(sim())
    planner = BeamPlanner(ConcurrencyLimit(llm, 1), Game24World())

    plan, elapsed = await timed_plan(planner)

    assert elapsed == pytest.approx(llm.started * CALL_SECONDS, abs=EPSILON)
    assert plan.stats.llm_calls == llm.started


@pytest.mark.anyio
async def test_stats_count_the_calls_actually_made(anyio_backend: Any) -> None:
    llm = CountingLLM(sim())
    planner = BeamPlanner(llm, Game24World(), n_generate=6, n_evaluate=2)

    plan = await planner.plan(start(), ())

    assert plan.stats.llm_calls == llm.started == llm.completed
    assert plan.stats.failed_calls == 0
    proposals = [r for r in llm.requests if r.label == "propose"]
    evaluations = [r for r in llm.requests if r.label == "evaluate"]
    assert len(proposals) == 6 * plan.stats.levels
    assert plan.stats.evaluated == len(evaluations)
    assert len(evaluations) % 2 == 0


@pytest.mark.anyio
async def test_planner_requests_carry_the_memory(anyio_backend: Any) -> None:
    llm = CountingLLM(sim())
    memory = ("4 + 9 = 13 (left: 10 13 13): rejected; 10 13 13 cannot reach 24.",)

    await BeamPlanner(llm, Game24World()).plan(start(), memory)

    assert llm.requests
    assert all(r.intent is not None and r.intent.memory == memory for r in llm.requests)


@pytest.mark.anyio
async def test_salt_draws_fresh_samples(anyio_backend: Any) -> None:
    llm = CountingLLM(sim())
    planner = BeamPlanner(llm, Game24World(), depth=1)

    await planner.plan(start(), (), salt=0)
    first = {r.intent.sample for r in llm.requests if r.intent is not None}
    llm.requests.clear()
    await planner.plan(start(), (), salt=1)
    second = {r.intent.sample for r in llm.requests if r.intent is not None}

    assert first.isdisjoint(second)


@pytest.mark.anyio
async def test_depth_caps_the_levels(anyio_backend: Any) -> None:
    plan, elapsed = await timed_plan(BeamPlanner(sim(), Game24World(), depth=1))

    assert plan.stats.levels == 1
    assert len(plan.steps) == 1
    assert elapsed == pytest.approx(2 * CALL_SECONDS, abs=EPSILON)


@pytest.mark.anyio
async def test_deadline_returns_best_plan_so_far_marked_incomplete(anyio_backend: Any) -> None:
    planner = BeamPlanner(sim(), Game24World(), deadline=2.5)

    plan, elapsed = await timed_plan(planner)

    assert elapsed == pytest.approx(2.5, abs=EPSILON)
    assert not plan.complete
    assert len(plan.steps) >= 1
    assert plan.stats.levels == 1


@pytest.mark.anyio
async def test_deadline_before_any_proposal_gives_an_empty_incomplete_plan(
    anyio_backend: Any,
) -> None:
    plan, elapsed = await timed_plan(BeamPlanner(sim(), Game24World(), deadline=0.5))

    assert elapsed == pytest.approx(0.5, abs=EPSILON)
    assert plan.steps == ()
    assert not plan.complete


@pytest.mark.anyio
async def test_deadline_that_is_not_reached_leaves_the_plan_complete(anyio_backend: Any) -> None:
    plan, elapsed = await timed_plan(BeamPlanner(sim(), Game24World(), deadline=60.0))

    assert plan.complete
    assert elapsed == pytest.approx(6 * CALL_SECONDS, abs=EPSILON)


@pytest.mark.anyio
async def test_cancelled_plan_ends_every_call_and_leaves_no_task(anyio_backend: Any) -> None:
    backend = anyio_backend[0]
    llm = CountingLLM(sim())
    planner = BeamPlanner(llm, Game24World())
    tasks_before = running_tasks(backend)
    in_flight_at_cancel = -1

    async with anyio.create_task_group() as tg:
        tg.start_soon(planner.plan, start(), ())
        await anyio.sleep(1.5)
        in_flight_at_cancel = llm.in_flight
        tg.cancel_scope.cancel()

    assert in_flight_at_cancel > 0
    assert llm.cancelled == in_flight_at_cancel
    assert llm.in_flight == 0
    assert llm.started == llm.completed + llm.cancelled
    assert running_tasks(backend) == tasks_before


@pytest.mark.anyio
async def test_outer_cancellation_is_not_mistaken_for_the_deadline(anyio_backend: Any) -> None:
    planner = BeamPlanner(sim(), Game24World(), deadline=10.0)
    result: list[Plan[Game24State]] = []

    async def plan() -> None:
        result.append(await planner.plan(start(), ()))

    with anyio.move_on_after(1.5) as scope:
        await plan()

    assert scope.cancelled_caught
    assert result == []


@pytest.mark.anyio
async def test_beam_of_two_expands_two_frontier_nodes(anyio_backend: Any) -> None:
    def proposing_states(llm: CountingLLM, numbers: int) -> set[str]:
        return {
            r.intent.state
            for r in llm.requests
            if r.intent is not None
            and r.label == "propose"
            and len(r.intent.state.split()) == numbers
        }

    narrow, wide = CountingLLM(sim()), CountingLLM(sim())

    await BeamPlanner(narrow, Game24World(), beam=1).plan(start(), ())
    await BeamPlanner(wide, Game24World(), beam=2).plan(start(), ())

    assert len(proposing_states(narrow, 3)) == 1
    assert len(proposing_states(wide, 3)) == 2
    assert wide.started > narrow.started


@pytest.mark.anyio
async def test_malformed_answers_give_an_empty_plan_without_raising(anyio_backend: Any) -> None:
    llm = CountingLLM(sim(malformed_rate=1.0))
    planner = BeamPlanner(llm, Game24World())

    plan = await planner.plan(start(), ())

    assert plan.steps == ()
    assert plan.stats.llm_calls == llm.started > 0
    assert plan.stats.failed_calls == plan.stats.llm_calls


@pytest.mark.anyio
async def test_failed_evaluations_are_counted_and_a_plan_still_returned(
    anyio_backend: Any,
) -> None:
    llm = CountingLLM(FailingEvaluations(sim()))
    planner = BeamPlanner(llm, Game24World(), depth=1)

    plan = await planner.plan(start(), ())

    assert len(plan.steps) == 1
    assert plan.stats.evaluated == 0
    assert plan.stats.failed_calls == llm.failed > 0
    assert plan.stats.llm_calls == llm.started


@pytest.mark.parametrize("field", ["n_generate", "n_evaluate", "beam"])
def test_search_sizes_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be >= 1"):
        BeamPlanner(sim(), Game24World(), **{field: 0})


class ShuffledLatency:
    """Delays each answer by a seeded pseudo-random amount: a new completion order."""

    def __init__(self, inner: SimLLM, seed: int) -> None:
        self.inner = inner
        self.rng = random.Random(seed)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        await anyio.sleep(self.rng.random())
        return await self.inner.complete(request)


@pytest.mark.anyio
async def test_plan_does_not_depend_on_the_order_calls_complete(anyio_backend: Any) -> None:
    noisy = dict(proposal_quality=0.3, value_noise=0.5, wrong_belief_rate=0.1)
    plans = []
    for order_seed in (1, 2):
        llm = ShuffledLatency(sim(**noisy), order_seed)
        planner = BeamPlanner(llm, Game24World(), n_generate=10, n_evaluate=3, beam=2)
        found = []
        for puzzle in puzzles("901-915"):
            plan = await planner.plan(Game24State.start(puzzle.numbers), ())
            found.append((plan.actions, plan.value))
        plans.append(found)
    assert plans[0] == plans[1]


@pytest.mark.anyio
async def test_plan_keeps_the_candidates_it_weighed_best_first(anyio_backend: Any) -> None:
    llm = sim(proposal_quality=0.5, preference_sharpness=0.0)
    plan = await BeamPlanner(llm, Game24World(), beam=2, depth=2).plan(start(), ())

    values = [a.value for a in plan.alternatives]
    assert len(plan.alternatives) >= 2
    assert values == sorted(values, reverse=True)
    assert plan.alternatives[0].value == plan.value
    assert list(plan.alternatives[0].actions) == plan.actions
    assert all(len(a.actions) == len(plan.steps) for a in plan.alternatives)  # the last level's
    assert plan.advance().alternatives == ()
