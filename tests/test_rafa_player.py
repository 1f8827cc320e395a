"""RAFA in shared matches: look-ahead play, stale-plan cancellation, speculation."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
import trio

from rafa_async import (
    EventBus,
    EventRecorder,
    ListSink,
    LLMCallEnded,
    LLMCallStarted,
    PlanCancelled,
    PlanCompleted,
    open_match,
)
from rafa_async.agents import PolicyPlayer, RafaPlayer
from rafa_async.llm import (
    ChatRequest,
    ChatResponse,
    LatencyModel,
    MiddlewareStack,
    NoiseModel,
    SimLLM,
)
from rafa_async.planners import MPCPlanner
from rafa_async.scenarios.tictactoe import (
    PerfectPolicy,
    RandomPolicy,
    TicTacToe,
    TicTacToeOracle,
    TicTacToeWorld,
)


def stack(
    *, noise: NoiseModel | None = None, latency: float = 1.0, recorder: EventRecorder | None = None
) -> MiddlewareStack:
    sim = SimLLM(
        {"tictactoe": TicTacToeOracle()},
        seed=0,
        noise=noise,
        latency=LatencyModel.fixed(latency) if latency else LatencyModel(scale=0.0),
    )
    return MiddlewareStack(sim, recorder=recorder)


def rafa(llm: MiddlewareStack, **options: Any) -> RafaPlayer[Any]:
    planner = MPCPlanner(llm, TicTacToeWorld(), n_candidates=5)
    return RafaPlayer(planner, opponent_model=planner, **options)


def policy_player(policy: RandomPolicy | PerfectPolicy, think: float) -> PolicyPlayer:
    return PolicyPlayer(lambda seat: policy.move(seat.state), name="policy", think=think)


async def play_series(
    player: RafaPlayer[Any], games: int, opponent: str, think: float
) -> list[float]:
    scores = []
    for game in range(games):
        policy = RandomPolicy(seed=game) if opponent == "random" else PerfectPolicy(seed=game)
        me, them = ("X", "O") if game % 2 == 0 else ("O", "X")
        players = {me: player, them: policy_player(policy, think)}
        async with open_match(TicTacToe(), players, match_id=str(game)) as match:
            result = await match.run()
        scores.append(result.scores[me])
    return scores


def live_tasks(backend: str) -> int:
    if backend == "asyncio":
        return len(asyncio.all_tasks())

    def count(task: trio.lowlevel.Task) -> int:
        return 1 + sum(count(t) for n in task.child_nurseries for t in n.child_tasks)

    return count(trio.lowlevel.current_root_task())


@pytest.mark.anyio
async def test_rafa_beats_random_and_never_loses_over_a_seeded_series(anyio_backend: Any) -> None:
    scores = await play_series(rafa(stack(latency=0)), 20, "random", think=0.0)
    assert 0.0 not in scores
    assert scores.count(1.0) >= 14


@pytest.mark.anyio
async def test_stale_plan_is_cancelled_when_the_opponent_moves(anyio_backend: Any) -> None:
    sink = ListSink()
    llm = stack(noise=NoiseModel.perfect(), recorder=EventRecorder(sink))
    plans = ListSink()
    player = rafa(llm, speculate=True, recorder=EventRecorder(plans))
    # The opponent moves 1.5 s after its turn starts: after our 1 s prediction,
    # in the middle of the 3 s plan built on it.  A random opponent rarely plays
    # the predicted (best) reply, so the speculative plan goes stale.
    await play_series(player, 4, "random", think=1.5)
    stale = [e for e in plans.of_type(PlanCancelled) if e.reason.startswith("stale")]
    assert stale
    assert player.stats.cancelled == len(plans.of_type(PlanCancelled))
    ended = sink.of_type(LLMCallEnded)
    assert len(ended) == len(sink.of_type(LLMCallStarted))
    assert any(e.outcome == "cancelled" for e in ended)
    assert llm.totals.cancelled == sum(e.outcome == "cancelled" for e in ended)
    assert llm.totals.in_flight == 0


@pytest.mark.anyio
async def test_cancelled_plan_stops_at_once(anyio_backend: Any) -> None:
    player = rafa(stack(noise=NoiseModel.perfect()), speculate=True)
    await play_series(player, 4, "random", think=1.5)
    assert player.stats.cancel_latencies
    # Virtual time: cancellation takes no simulated time at all.
    assert max(player.stats.cancel_latencies) == 0.0


@pytest.mark.anyio
async def test_speculation_hits_when_the_opponent_plays_as_predicted(anyio_backend: Any) -> None:
    player = rafa(stack(noise=NoiseModel.perfect()), speculate=True)
    await play_series(player, 4, "perfect", think=10.0)
    assert player.stats.hits > 0
    assert player.stats.hit_rate > 0.5


@pytest.mark.anyio
async def test_speculation_saves_time_against_a_slow_predictable_opponent(
    anyio_backend: Any,
) -> None:
    elapsed = {}
    for speculate in (False, True):
        started = anyio.current_time()
        player = rafa(stack(noise=NoiseModel.perfect()), speculate=speculate)
        await play_series(player, 2, "perfect", think=10.0)
        elapsed[speculate] = anyio.current_time() - started
    assert elapsed[True] < elapsed[False]


@pytest.mark.anyio
async def test_feedback_is_stored_and_reaches_the_opponent_model(anyio_backend: Any) -> None:
    llm = stack(latency=0)
    seen: list[ChatRequest] = []

    class Recording:
        async def complete(self, request: ChatRequest) -> ChatResponse:
            seen.append(request)
            return await llm.complete(request)

    planner = MPCPlanner(Recording(), TicTacToeWorld(), n_candidates=3)
    player = RafaPlayer(planner)
    await play_series(player, 2, "random", think=0.0)
    facts = [line for line in player.memory if " played " in line]
    assert facts
    predicts = [r for r in seen if r.intent is not None and r.intent.kind == "predict"]
    assert any(set(facts[:1]) <= set(r.intent.memory) for r in predicts if r.intent is not None)


@pytest.mark.anyio
async def test_no_task_is_left_behind_after_a_match(anyio_backend: Any) -> None:
    before = live_tasks(anyio_backend[0])
    bus = EventBus()
    player = rafa(stack(noise=NoiseModel.perfect()), speculate=True)
    players = {"X": player, "O": policy_player(RandomPolicy(seed=3), think=1.5)}
    async with open_match(TicTacToe(), players, bus=bus) as match:
        await match.run()
    assert live_tasks(anyio_backend[0]) == before
    assert list(bus.subscriptions) == []


@pytest.mark.anyio
async def test_each_plan_event_carries_the_lines_it_weighed(anyio_backend: Any) -> None:
    plans = ListSink()
    player = rafa(stack(latency=0), recorder=EventRecorder(plans))
    await play_series(player, 2, "random", think=0.0)

    completed = plans.of_type(PlanCompleted)
    assert completed
    for event in completed:
        values = [c.value for c in event.candidates]
        assert values == sorted(values, reverse=True)
        assert event.candidates[0].value == event.value
        assert event.candidates[0].actions == event.actions  # move, predicted reply
    # Several distinct candidate moves were weighed in most positions.
    assert (
        sum(len({c.actions[0] for c in e.candidates}) > 1 for e in completed) > len(completed) // 2
    )
