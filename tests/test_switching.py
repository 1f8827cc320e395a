"""RAFA's Algorithm 1: the memory snapshot, the switching rules, the learning subroutine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from support import assert_one_line_error, game24_sim as sim, rafa

from rafa_async import EpisodeDriver, EventRecorder, ProviderError
from rafa_async.agents import (
    Memory,
    ModelConfidence,
    RafaAgent,
    ReflectOnFeedback,
    SampleAgreement,
    StepObserved,
    SwitchCommitPlan,
    SwitchEveryStep,
    SwitchingCondition,
    SwitchOnInfoGain,
    SwitchOnMisprediction,
)
from rafa_async.agents._evidence import FLOOR, information
from rafa_async.llm import LLM, ChatRequest, ChatResponse, NoiseModel, SimLLM
from rafa_async.planners import BeamPlanner, Plan, ValueSample
from rafa_async.scenarios.game24 import Game24Env, Game24Oracle, Game24State, Game24World

PUZZLE = (4, 9, 10, 13)
WORLD = Game24World()
HOLDS = "13 - 9 = 4"  # leaves 4 4 10: accepted, as predicted
REJECTED = "4 + 4 = 9"  # a miscalculation: rejected, state unchanged
ANY = "10 - 4 = 6"


class ScriptedPlanner:
    """Plans the scripted action lists in turn (predictions as each action
    claims), with the scripted evidence; records the memory of every plan."""

    def __init__(self, *plans: Sequence[str], evidence: Sequence[Sequence[float]] = ()) -> None:
        self.plans = list(plans)
        self.confidences = list(evidence)
        self.memories: list[tuple[str, ...]] = []

    async def plan(
        self, state: Game24State, memory: Sequence[str], *, salt: int = 0
    ) -> Plan[Game24State]:
        await anyio.lowlevel.checkpoint()
        self.memories.append(tuple(memory))
        actions = self.plans[len(self.memories) - 1]
        steps = []
        for action in actions:
            step = WORLD.parse_proposal(state, action)
            steps.append(step)
            state = step.predicted
        confidences = self.confidences[len(self.memories) - 1] if self.confidences else ()
        evidence = tuple((ValueSample(20.0, c),) for c in confidences)
        return Plan(tuple(steps), 0.0, evidence=evidence)


async def play(
    agent: RafaAgent[Game24State], *, max_steps: int, numbers: tuple[int, ...] = PUZZLE
) -> EpisodeDriver[Game24State]:
    driver = EpisodeDriver(
        Game24Env(numbers), episode="t", max_steps=max_steps, recorder=EventRecorder()
    )
    await agent.run(driver)
    return driver


def scripted_agent(planner: ScriptedPlanner, switching: SwitchingCondition) -> RafaAgent[Any]:
    return RafaAgent(planner, WORLD, switching=switching)


# -- the snapshot ------------------------------------------------------------------


@pytest.mark.anyio
async def test_on_misprediction_hides_memory_added_after_the_last_switch(
    anyio_backend: Any,
) -> None:
    planner = ScriptedPlanner([HOLDS], [REJECTED], [ANY])
    agent = scripted_agent(planner, SwitchOnMisprediction())

    driver = await play(agent, max_steps=3)

    first, second = (outcome.feedback for _, outcome in driver.history[:2])
    # The first step held, so its plan running out is no switch: the second
    # plan still sees the old (empty) snapshot; the rejection switches.
    assert planner.memories == [(), (), (first, second)]
    assert agent.memory.lines()[:2] == (first, second)
    assert agent.switches == 1


@pytest.mark.anyio
async def test_every_step_shows_the_planner_all_the_memory_at_once(anyio_backend: Any) -> None:
    planner = ScriptedPlanner([HOLDS], [REJECTED], [ANY])
    agent = scripted_agent(planner, SwitchEveryStep())

    driver = await play(agent, max_steps=3)

    first, second = (outcome.feedback for _, outcome in driver.history[:2])
    assert planner.memories == [(), (first,), (first, second)]


@pytest.mark.anyio
async def test_a_plan_whose_predictions_hold_is_reused_between_switches(
    anyio_backend: Any,
) -> None:
    planner = ScriptedPlanner([HOLDS, "10 - 4 = 6", "4 * 6 = 24"])
    agent = scripted_agent(planner, SwitchOnMisprediction())

    driver = await play(agent, max_steps=5)

    assert driver.solved
    assert planner.memories == [()]
    assert agent.switches == 0


@pytest.mark.anyio
async def test_a_state_off_the_predicted_path_is_replanned_with_the_old_snapshot(
    anyio_backend: Any,
) -> None:
    # A rejected step that is no surprise to the model (it gave the step 1%)
    # carries little information: no switch, a new plan from the old snapshot.
    planner = ScriptedPlanner(["13 - 9 = 5", "10 / 5 = 2"], [HOLDS], evidence=[[0.01, 0.9], [0.9]])
    agent = scripted_agent(planner, SwitchOnInfoGain(threshold=1.0))

    await play(agent, max_steps=2)

    assert planner.memories == [(), ()]
    assert agent.switches == 0


@pytest.mark.anyio
async def test_info_gain_switches_once_the_evidence_exceeds_the_threshold(
    anyio_backend: Any,
) -> None:
    # Held at confidence 0.6: 0.51 nats, under log 2; the rejection of a step
    # believed at 0.9: -log 0.1 = 2.3 more, over it.
    planner = ScriptedPlanner([HOLDS], [REJECTED], [ANY], evidence=[[0.6], [0.9], [0.5]])
    agent = scripted_agent(planner, SwitchOnInfoGain())

    driver = await play(agent, max_steps=3)

    first, second = (outcome.feedback for _, outcome in driver.history[:2])
    assert planner.memories == [(), (), (first, second)]


def test_info_gain_switches_exactly_when_the_cumulative_information_crosses() -> None:
    # Three agreeing samples of a step that held: P = (3+1)/(3+2), 0.223 nats
    # each; three steps make 0.669 < log 2, the fourth 0.893 > log 2.
    rule = SwitchOnInfoGain(estimator=SampleAgreement())
    sure = (ValueSample(20.0), ValueSample(20.0), ValueSample(1.0))
    held = StepObserved("4 4 10", "4 4 10", True, 1, sure)

    decisions = [rule.should_switch(held) for _ in range(8)]

    assert decisions == [False, False, False, True] * 2
    assert rule.gathered == 0.0


@pytest.mark.parametrize(
    ("values", "held", "probability"),
    [((20.0, 20.0, 0.001), True, 3 / 5), ((20.0, 20.0, 0.001), False, 2 / 5),
     ((0.001,), True, 1 / 3), ((), True, 1 / 2), ((0.5, 0.49), True, 2 / 4)],
)  # fmt: skip
def test_the_agreement_proxy_is_the_laplace_smoothed_share_of_agreeing_samples(
    values: tuple[float, ...], held: bool, probability: float
) -> None:
    evidence = [ValueSample(v) for v in values]

    assert SampleAgreement().probability(evidence, held=held) == pytest.approx(probability)


def test_model_confidence_uses_the_reported_probability_else_the_proxy() -> None:
    reported = [ValueSample(20.0, 0.9), ValueSample(0.001, 0.7)]
    partly = [ValueSample(20.0, 0.9), ValueSample(0.001)]
    estimator = ModelConfidence()

    assert estimator.probability(reported, held=True) == pytest.approx(0.8)
    assert estimator.probability(reported, held=False) == pytest.approx(0.2)
    assert estimator.probability(partly, held=True) == pytest.approx(2 / 4)


def test_a_certain_model_proved_wrong_gains_a_large_finite_information() -> None:
    certain = [ValueSample(20.0, 1.0)]

    assert information(ModelConfidence(), certain, held=False) == pytest.approx(-math.log(FLOOR))


def test_info_gain_refuses_a_threshold_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="info threshold must be a number > 0"):
        SwitchOnInfoGain(threshold=0.0)


# -- the evidence the planner records -------------------------------------------------


@pytest.mark.anyio
async def test_beam_plans_carry_each_steps_evaluation_samples_and_the_sims_belief(
    anyio_backend: Any,
) -> None:
    planner = BeamPlanner(sim(value_noise=0.3), WORLD, n_generate=4, n_evaluate=3)

    plan = await planner.plan(Game24Env(PUZZLE).reset(), ())

    assert len(plan.evidence) == len(plan.steps) == 3
    for samples in plan.evidence:
        assert len(samples) == 3
        # The sim's belief channel: 0.7 * belief + 0.3 * 2/3.
        for sample in samples:
            assert sample.confidence in (pytest.approx(0.2), pytest.approx(0.9))
    assert plan.value == math.fsum(s.value for s in plan.evidence[-1])
    assert plan.advance().evidence == plan.evidence[1:]


# -- commit-plan is the old on-surprise ------------------------------------------------


class OldOnSurprise(RafaAgent[Game24State]):
    """The agent loop as it was before the snapshot, with ``on-surprise``:
    keep the plan while it holds, else replan with the full memory."""

    async def run(self, driver: EpisodeDriver[Game24State]) -> None:
        plan: Plan[Game24State] | None = None
        empty = 0
        while not driver.over:
            if plan is None:
                plan = await self._plan(driver, self.memory.lines())
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
            surprise = not outcome.accepted or step.predicted.key != outcome.state.key
            plan = None if surprise or not rest.steps else rest


@pytest.mark.anyio
@pytest.mark.parametrize("numbers", [(4, 9, 10, 13), (1, 5, 5, 5), (3, 3, 8, 8), (2, 7, 7, 10)])
async def test_commit_plan_behaves_as_the_old_on_surprise(
    anyio_backend: Any, numbers: tuple[int, ...]
) -> None:
    noisy = SimLLM({"game24": Game24Oracle()}, seed=1, noise=NoiseModel())

    def agent(kind: type[RafaAgent[Game24State]]) -> RafaAgent[Game24State]:
        return kind(BeamPlanner(noisy, WORLD), WORLD, switching=SwitchCommitPlan())

    new = await play(agent(RafaAgent), max_steps=20, numbers=numbers)
    old = await play(agent(OldOnSurprise), max_steps=20, numbers=numbers)

    assert new.history == old.history


# -- the learning subroutine -------------------------------------------------------------


class Recording:
    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.requests: list[ChatRequest] = []
        self.reflections: list[str] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        response = await self.inner.complete(request)
        if request.label == "reflect":
            self.reflections.append(WORLD.parse_reflection(response.text))
        return response


@pytest.mark.anyio
async def test_learn_reflect_stores_a_lesson_next_to_each_feedback(anyio_backend: Any) -> None:
    llm = Recording(sim(arithmetic_error_rate=1.0))  # every step rejected
    agent = RafaAgent(BeamPlanner(llm, WORLD), WORLD, learner=ReflectOnFeedback(llm, WORLD))

    driver = await play(agent, max_steps=3)

    reflections = [r for r in llm.requests if r.label == "reflect"]
    assert len(reflections) == 2  # not after the last step: no plan would read it
    lessons = set(llm.reflections)
    feedback = [outcome.feedback for _, outcome in driver.history]
    assert lessons <= set(agent.memory)
    assert set(feedback) <= set(agent.memory)
    for request, (action, outcome) in zip(reflections, driver.history, strict=False):
        assert request.intent is not None
        assert request.intent.memory == (outcome.feedback,)
        assert request.intent.detail == action
    # The next plan's proposer and judge read the lessons.
    last_plan = [r for r in llm.requests if r.label in ("propose", "evaluate")][-1]
    assert last_plan.intent is not None
    assert lessons <= set(last_plan.intent.memory)


@dataclass
class NoReflections:
    """The sim, except that every reflect call fails."""

    inner: LLM

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if request.label == "reflect":
            raise ProviderError("503 busy", status=503)
        return await self.inner.complete(request)


@pytest.mark.anyio
async def test_a_failed_reflection_keeps_the_feedback_and_is_counted(anyio_backend: Any) -> None:
    llm = NoReflections(sim(arithmetic_error_rate=1.0))
    learner = ReflectOnFeedback(llm, WORLD)
    agent = RafaAgent(BeamPlanner(llm, WORLD), WORLD, learner=learner, memory=Memory())

    driver = await play(agent, max_steps=3)

    assert agent.memory.lines() == tuple(dict.fromkeys(o.feedback for _, o in driver.history))
    assert learner.failed == 2


# -- the command line ----------------------------------------------------------------------

FAST = ("--puzzles", "901", "--latency-scale", "0", "--no-progress")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [(("--switching", "on-surprise"), ("--switching 'on-surprise' is now called 'commit-plan'",
                                       "use --switching 'commit-plan'")),
     (("--switching", "often"), ("unknown --switching 'often'", "info-gain")),
     (("--switching", "info-gain", "--info-threshold", "0"), ("--info-threshold must be",)),
     (("--info-threshold", "1"), ("--info-threshold applies only to --switching info-gain",)),
     (("--info-estimator", "agreement"), ("--info-estimator applies only",)),
     (("--learn", "dream"), ("--learn", "dream"))],
)  # fmt: skip
def test_run_refuses_bad_switching_and_learning_options_in_one_line(
    args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    assert_one_line_error(rafa("run", "game24", *args, *FAST), *fragments)


def test_run_takes_info_gain_and_reflect() -> None:
    result = rafa(
        "run", "game24", "--switching", "info-gain", "--info-threshold", "1.5",
        "--info-estimator", "agreement", "--learn", "reflect", *FAST,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.output
