"""RAFA and its baselines, on the Game of 24 with a simulated or scripted LLM."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio
import pytest
from support import CALL_SECONDS, game24_sim as sim

from rafa_async import (
    EpisodeDriver,
    EventRecorder,
    ListSink,
    PlanCancelled,
    PlanCompleted,
    PlanStarted,
    ProviderError,
    Transition,
)
from rafa_async.agents import (
    DirectAgent,
    Memory,
    OpenLoopAgent,
    RafaAgent,
    ReflexionAgent,
    StepObserved,
    SwitchCommitPlan,
    SwitchEveryStep,
)
from rafa_async.llm import LLM, ChatRequest, ChatResponse
from rafa_async.planners import BeamPlanner
from rafa_async.scenarios.game24 import (
    Game24Env,
    Game24State,
    Game24World,
    parse_step,
    puzzles,
)

PUZZLE = (4, 9, 10, 13)


class RecordingLLM:
    """Records every request; counts calls still in flight."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.requests: list[ChatRequest] = []
        self.answers: list[tuple[ChatRequest, str]] = []
        self.in_flight = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        self.in_flight += 1
        try:
            response = await self.inner.complete(request)
        finally:
            self.in_flight -= 1
        self.answers.append((request, response.text))
        return response

    def of_kind(self, kind: str) -> list[ChatRequest]:
        return [r for r in self.requests if r.label == kind]


class ScriptedLLM:
    """Answers each intent kind with the next of its scripted texts."""

    def __init__(self, **scripts: Iterable[str]) -> None:
        self._scripts = {kind: iter(texts) for kind, texts in scripts.items()}

    async def complete(self, request: ChatRequest) -> ChatResponse:
        await anyio.sleep(CALL_SECONDS)
        text = next(self._scripts[request.label])
        return ChatResponse(text=text, model="scripted")


class DownLLM:
    """A provider that refuses every call."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        await anyio.sleep(CALL_SECONDS)
        raise ProviderError("401 unauthorized", status=401)


def rafa(llm: LLM, **kwargs: Any) -> RafaAgent[Game24State]:
    world = Game24World()
    return RafaAgent(BeamPlanner(llm, world), world, **kwargs)


async def play(
    agent: Any, numbers: tuple[int, ...] = PUZZLE, *, max_steps: int = 20
) -> tuple[EpisodeDriver[Game24State], ListSink]:
    sink = ListSink()
    driver = EpisodeDriver(
        Game24Env(numbers), episode="game24-test", max_steps=max_steps, recorder=EventRecorder(sink)
    )
    await agent.run(driver)
    return driver, sink


def feedback(driver: EpisodeDriver[Game24State]) -> list[str]:
    return [outcome.feedback for _, outcome in driver.history]


def distinct(lines: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lines))


# -- RafaAgent -------------------------------------------------------------------


@pytest.mark.anyio
async def test_rafa_solves_easy_puzzles_with_a_perfect_model(anyio_backend: Any) -> None:
    unsolved = []
    for puzzle in puzzles("1-10"):
        driver, _ = await play(rafa(sim()), puzzle.numbers)
        if not driver.solved:
            unsolved.append(puzzle.rank)

    assert unsolved == []


@pytest.mark.anyio
async def test_rafa_replans_after_every_step_by_default(anyio_backend: Any) -> None:
    agent = rafa(sim())

    driver, sink = await play(agent)

    assert driver.solved
    assert driver.steps == 3
    assert len(sink.of_type(PlanStarted)) == driver.steps
    assert agent.plans_made == driver.steps


@pytest.mark.anyio
async def test_rafa_replans_after_every_rejected_step(anyio_backend: Any) -> None:
    driver, sink = await play(rafa(sim(wrong_belief_rate=1.0)), max_steps=5)

    assert driver.steps == 5
    assert not any(outcome.accepted for _, outcome in driver.history)
    assert len(sink.of_type(PlanStarted)) == 5


@pytest.mark.anyio
async def test_rafa_executes_only_the_first_step_of_each_plan(anyio_backend: Any) -> None:
    driver, sink = await play(rafa(sim(wrong_belief_rate=1.0)), max_steps=4)

    first_steps = [plan.actions[0] for plan in sink.of_type(PlanCompleted)]
    assert [action for action, _ in driver.history] == first_steps


@pytest.mark.anyio
async def test_rafa_stores_each_feedback_line_in_memory(anyio_backend: Any) -> None:
    agent = rafa(sim(wrong_belief_rate=1.0))

    driver, _ = await play(agent, max_steps=5)

    assert agent.memory.lines() == distinct(feedback(driver))
    assert len(agent.memory) == 5


@pytest.mark.anyio
async def test_later_plans_ask_with_the_feedback_seen_so_far(anyio_backend: Any) -> None:
    llm = RecordingLLM(sim(wrong_belief_rate=1.0))

    driver, _ = await play(rafa(llm), max_steps=4)

    lines = feedback(driver)
    assert all("cannot reach 24" in line for line in lines)
    for request in llm.requests:
        assert request.intent is not None
        plan = request.intent.sample // 1000  # the planner salts samples with the plan id
        assert request.intent.memory == distinct(lines[:plan])
        assert all(line in request.messages[0].content for line in request.intent.memory)
    assert {r.intent.sample // 1000 for r in llm.requests if r.intent} == {0, 1, 2, 3}


@pytest.mark.anyio
async def test_rafa_changes_its_first_step_after_a_rejection(anyio_backend: Any) -> None:
    driver, sink = await play(rafa(sim(wrong_belief_rate=1.0)), max_steps=2)

    plans = sink.of_type(PlanCompleted)
    first_action, first_outcome = driver.history[0]
    assert not first_outcome.accepted, "the premise: the first plan's first step fails"
    assert plans[0].actions[0] == first_action
    assert plans[1].actions[0] != first_action


@pytest.mark.anyio
async def test_rafa_stops_proposing_steps_the_environment_rejected(anyio_backend: Any) -> None:
    llm = RecordingLLM(sim(wrong_belief_rate=1.0))

    driver, _ = await play(rafa(llm), max_steps=4)

    rejected = [action for action, outcome in driver.history if not outcome.accepted]
    assert len(rejected) == 4
    root = driver.env.render(driver.env.reset())
    for request, text in llm.answers:
        assert request.intent is not None
        if request.label != "propose" or request.intent.state != root:
            continue
        plan = request.intent.sample // 1000
        assert parse_step(text).text not in rejected[:plan]


@pytest.mark.anyio
async def test_commit_plan_keeps_a_plan_that_unfolds_as_predicted(
    anyio_backend: Any,
) -> None:
    agent = rafa(sim(), switching=SwitchCommitPlan())

    driver, sink = await play(agent)

    assert driver.solved
    assert driver.steps == 3
    assert len(sink.of_type(PlanStarted)) == 1


@pytest.mark.anyio
async def test_commit_plan_replans_when_a_step_is_rejected(anyio_backend: Any) -> None:
    # Every proposal is miscalculated, so every executed step is rejected.
    agent = rafa(sim(arithmetic_error_rate=1.0), switching=SwitchCommitPlan())

    driver, sink = await play(agent, max_steps=4)

    assert [outcome.accepted for _, outcome in driver.history] == [False] * 4
    assert len(sink.of_type(PlanStarted)) == 4


@pytest.mark.anyio
async def test_rafa_gives_up_after_consecutive_empty_plans(anyio_backend: Any) -> None:
    agent = rafa(sim(malformed_rate=1.0), max_empty_plans=3)

    driver, sink = await play(agent)

    assert driver.steps == 0
    assert not driver.over
    assert len(sink.of_type(PlanStarted)) == 3
    assert all(plan.actions == [] for plan in sink.of_type(PlanCompleted))


@pytest.mark.anyio
async def test_plan_completed_reports_calls_and_virtual_time(anyio_backend: Any) -> None:
    llm = RecordingLLM(sim())

    _, sink = await play(rafa(llm), max_steps=1)

    (plan,) = sink.of_type(PlanCompleted)
    assert plan.llm_calls == len(llm.requests)
    assert plan.elapsed == pytest.approx(3 * 2 * CALL_SECONDS)
    assert plan.complete


@pytest.mark.anyio
async def test_cancelling_rafa_mid_plan_cancels_the_plan_and_its_calls(anyio_backend: Any) -> None:
    llm = RecordingLLM(sim())
    sink = ListSink()
    driver = EpisodeDriver(
        Game24Env(PUZZLE), episode="game24-test", max_steps=20, recorder=EventRecorder(sink)
    )

    with anyio.move_on_after(1.5):
        await rafa(llm).run(driver)

    assert llm.in_flight == 0
    assert [e.plan for e in sink.of_type(PlanStarted)] == [0]
    assert [(e.plan, e.reason) for e in sink.of_type(PlanCancelled)] == [(0, "cancelled")]
    assert sink.of_type(PlanCompleted) == []
    assert driver.steps == 0


# -- switching conditions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("predicted", "observed", "accepted", "remaining"),
    [("4 6", "4 6", True, 1), ("4 6", "4 7", True, 1), ("4 6", "4 9 10 13", False, 2)],
)
def test_switch_every_step_always_replans(
    predicted: str, observed: str, accepted: bool, remaining: int
) -> None:
    assert SwitchEveryStep().should_switch(StepObserved(predicted, observed, accepted, remaining))


@pytest.mark.parametrize(
    ("predicted", "observed", "accepted", "remaining", "replan"),
    [
        ("4 6", "4 6", True, 1, False),
        ("4 6", "4 7", True, 1, True),
        ("4 6", "4 9 10 13", False, 1, True),
        ("4 6", "4 6", False, 1, True),
        ("24", "24", True, 0, True),
    ],
)
def test_commit_plan_switches_only_on_surprise_or_an_exhausted_plan(
    predicted: str, observed: str, accepted: bool, remaining: int, replan: bool
) -> None:
    decision = SwitchCommitPlan().should_switch(
        StepObserved(predicted, observed, accepted, remaining)
    )

    assert decision is replan


# -- OpenLoopAgent ---------------------------------------------------------------


@pytest.mark.anyio
async def test_open_loop_plans_once_and_executes_every_planned_step(anyio_backend: Any) -> None:
    world = Game24World()
    agent = OpenLoopAgent(BeamPlanner(sim(arithmetic_error_rate=1.0), world), world)

    driver, sink = await play(agent)

    (plan,) = sink.of_type(PlanCompleted)
    assert len(sink.of_type(PlanStarted)) == 1
    assert [action for action, _ in driver.history] == plan.actions
    assert len(plan.actions) == 3
    assert not any(outcome.accepted for _, outcome in driver.history)
    assert len(agent.memory) == 0


@pytest.mark.anyio
async def test_open_loop_solves_with_a_perfect_model(anyio_backend: Any) -> None:
    world = Game24World()

    driver, sink = await play(OpenLoopAgent(BeamPlanner(sim(), world), world))

    assert driver.solved
    assert len(sink.of_type(PlanStarted)) == 1


@pytest.mark.anyio
async def test_open_loop_stops_at_the_interaction_cap(anyio_backend: Any) -> None:
    world = Game24World()

    driver, _ = await play(OpenLoopAgent(BeamPlanner(sim(), world), world), max_steps=2)

    assert driver.steps == 2
    assert not driver.solved


# -- ReflexionAgent and DirectAgent -------------------------------------------------

WRONG = ("4 + 9 = 13 (left: 10 13 13)\nAnswer: 4 + 9 + 10 + 13 = 24", "Answer: 4 * 6 = 24")
RIGHT = "9 + 10 = 19 (left: 4 13 19)\nAnswer: 4 * (9 + 10 - 13) = 24"
LESSONS = ("Reflection: 10 13 13 cannot reach 24.", "Reflection: use each number once.")


@pytest.mark.anyio
async def test_reflexion_retries_with_its_reflections_until_solved(anyio_backend: Any) -> None:
    llm = RecordingLLM(ScriptedLLM(solve=[*WRONG, RIGHT], reflect=LESSONS))
    agent = ReflexionAgent(llm, Game24World())

    driver, _ = await play(agent)

    assert driver.solved
    assert driver.steps == 3
    first, second = (
        ("4 + 9 = 13 (left: 10 13 13): rejected; 10 13 13 cannot reach 24.",),
        ("answer 4 * 6 rejected; it must use each of 4 9 10 13 exactly once, but uses 4 6.",),
    )
    lessons = ("10 13 13 cannot reach 24.", "use each number once.")
    learned = (*first, lessons[0], *second, lessons[1])
    assert agent.memory.lines()[: len(learned)] == learned
    solve_memories = [r.intent.memory for r in llm.of_kind("solve") if r.intent]
    assert solve_memories == [(), (*first, lessons[0]), learned]


@pytest.mark.anyio
async def test_reflexion_reflects_on_the_attempt_and_the_feedback(anyio_backend: Any) -> None:
    llm = RecordingLLM(ScriptedLLM(solve=[WRONG[0], RIGHT], reflect=LESSONS))

    driver, _ = await play(ReflexionAgent(llm, Game24World()))

    (reflect,) = llm.of_kind("reflect")
    assert reflect.intent is not None
    assert reflect.intent.detail == WRONG[0]
    assert reflect.intent.memory == (driver.history[0][1].feedback,)
    assert "10 13 13 cannot reach 24" in reflect.intent.memory[0]


DEAD_ATTEMPT = "9 + 10 = 19 (left: 4 13 19)\n4 + 13 = 17 (left: 17 19)\nAnswer: 17 + 19 = 24"
DEAD_VERDICTS = (
    "9 + 10 = 19 (left: 4 13 19): accepted; 24 can still be reached from 4 13 19.",
    "4 + 13 = 17 (left: 17 19): rejected; 17 19 cannot reach 24.",
)


@pytest.mark.anyio
async def test_reflexions_memory_holds_per_step_verdicts(anyio_backend: Any) -> None:
    llm = RecordingLLM(ScriptedLLM(solve=[DEAD_ATTEMPT, RIGHT], reflect=LESSONS))
    agent = ReflexionAgent(llm, Game24World())

    driver, _ = await play(agent)

    action, outcome = driver.history[0]
    assert action == DEAD_ATTEMPT
    assert outcome.feedback.splitlines() == list(DEAD_VERDICTS)
    assert agent.memory.lines()[:3] == (*DEAD_VERDICTS, "10 13 13 cannot reach 24.")
    second = llm.of_kind("solve")[1].intent
    assert second is not None
    assert second.memory == agent.memory.lines()[:3]
    assert all(line in llm.of_kind("solve")[1].messages[-1].content for line in DEAD_VERDICTS)


@pytest.mark.anyio
async def test_reflexion_learns_dead_steps_from_the_verdicts_on_the_sim(anyio_backend: Any) -> None:
    # Proposals follow beliefs and memory is heeded, but reflections say
    # nothing: what the second attempt avoids it learned from the verdicts.
    llm = RecordingLLM(sim(reflection_quality=0.0, wrong_belief_rate=1.0))
    agent = ReflexionAgent(llm, Game24World(), max_trials=2)

    driver, _ = await play(agent)

    first = driver.history[0][1].feedback.splitlines()
    assert any("cannot reach 24" in line for line in first)
    assert set(first) <= set(agent.memory.lines())
    dead = first[-1].split(": rejected; ")[0]
    assert dead not in driver.history[1][0]


@pytest.mark.anyio
async def test_direct_submits_the_whole_attempt(anyio_backend: Any) -> None:
    written = f"Let me see.\n{DEAD_ATTEMPT}\nDone."
    llm = RecordingLLM(ScriptedLLM(solve=[written]))

    driver, _ = await play(DirectAgent(llm, Game24World()))

    ((action, outcome),) = driver.history
    assert action == DEAD_ATTEMPT
    assert outcome.feedback.splitlines() == list(DEAD_VERDICTS)


@pytest.mark.anyio
async def test_reflexion_stops_at_the_interaction_cap(anyio_backend: Any) -> None:
    llm = RecordingLLM(ScriptedLLM(solve=WRONG * 3, reflect=[*LESSONS, "Reflection: again"]))
    agent = ReflexionAgent(llm, Game24World())

    driver, _ = await play(agent, max_steps=3)

    assert driver.steps == 3
    assert not driver.solved
    assert len(llm.of_kind("solve")) == 3
    assert len(llm.of_kind("reflect")) == 2  # none after the last trial


@pytest.mark.anyio
async def test_reflexion_stops_after_max_trials(anyio_backend: Any) -> None:
    llm = RecordingLLM(ScriptedLLM(solve=WRONG * 3, reflect=LESSONS * 3))

    driver, _ = await play(ReflexionAgent(llm, Game24World(), max_trials=2))

    assert driver.steps == 2
    assert len(llm.of_kind("reflect")) == 1


@pytest.mark.anyio
async def test_reflexion_submits_an_unparseable_answer_as_written(anyio_backend: Any) -> None:
    llm = ScriptedLLM(solve=["I could not find it.\n(4 + 9) * 2", RIGHT], reflect=LESSONS)

    driver, _ = await play(ReflexionAgent(llm, Game24World()))

    action, outcome = driver.history[0]
    assert action == "(4 + 9) * 2"
    assert not outcome.accepted
    assert driver.solved


@pytest.mark.anyio
async def test_reflexion_gives_up_when_the_llm_keeps_failing(anyio_backend: Any) -> None:
    llm = DownLLM()

    with anyio.fail_after(1000):
        driver, _ = await play(ReflexionAgent(llm, Game24World(), max_failed_calls=3))

    assert llm.calls == 3
    assert driver.steps == 0


@pytest.mark.anyio
async def test_direct_makes_one_call_and_one_step_even_when_wrong(anyio_backend: Any) -> None:
    llm = RecordingLLM(ScriptedLLM(solve=[WRONG[0], RIGHT], reflect=LESSONS))

    driver, sink = await play(DirectAgent(llm, Game24World()))

    assert len(llm.requests) == 1
    assert driver.steps == 1
    assert len(sink.of_type(Transition)) == 1
    assert not driver.solved


@pytest.mark.anyio
async def test_direct_solves_with_a_perfect_model(anyio_backend: Any) -> None:
    llm = RecordingLLM(sim())

    driver, _ = await play(DirectAgent(llm, Game24World()))

    assert driver.solved
    assert len(llm.requests) == 1


# -- Memory ----------------------------------------------------------------------


def test_memory_keeps_lines_in_order_without_duplicates() -> None:
    memory = Memory()
    for line in ["a", "b", "a", "c", "b"]:
        memory.add(line)

    assert memory.lines() == ("a", "b", "c")
    assert list(memory) == ["a", "b", "c"]


def test_bounded_memory_drops_the_oldest_and_can_relearn_it() -> None:
    memory = Memory(maxlen=2)
    for line in ["a", "b", "c", "a"]:
        memory.add(line)

    assert memory.lines() == ("c", "a")


def test_memory_of_size_zero_keeps_nothing() -> None:
    memory = Memory(maxlen=0)

    memory.add("a")

    assert memory.lines() == ()
