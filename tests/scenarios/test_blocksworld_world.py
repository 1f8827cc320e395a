"""BlocksWorld's world model and the simulated LLM's answers to it."""

from __future__ import annotations

import pytest
from scenario_support import ask, context

from rafa_async import MalformedResponse, ProviderError
from rafa_async.llm import NoiseModel
from rafa_async.scenarios.blocksworld import (
    BlocksWorldEnv,
    BlocksWorldModel,
    BlocksWorldOracle,
    parse_action,
    render_action,
    task_set,
)
from rafa_async.scenarios.blocksworld._solver import distance, optimal_actions

WORLD = BlocksWorldModel()
ORACLE = BlocksWorldOracle()
TASK = task_set("step_4")[0]  # blue on orange; goal: orange on blue
ENV = BlocksWorldEnv(TASK)
START = ENV.reset()


def test_the_prompts_carry_the_rules_the_state_the_goal_and_the_memory() -> None:
    request = WORLD.propose_request(START, ["(put-down blue): refused; no."], 0)
    prompt = request.messages[-1].content

    assert "I can only pick up or unstack one block at a time." in prompt
    assert "the blue block is on top of the orange block" in prompt
    assert "My goal is to have that the orange block is on top of the blue block." in prompt
    assert "(put-down blue): refused; no." in prompt
    assert request.intent is not None and request.intent.state == START.key


def test_a_perfect_sim_proposes_an_optimal_action_and_predicts_its_state() -> None:
    for sample in range(5):
        proposal = WORLD.parse_proposal(
            START, ask(ORACLE, WORLD.propose_request(START, (), sample))
        )
        action = parse_action(proposal.action)

        assert action in optimal_actions(TASK.rules, TASK.init, TASK.goal)
        assert proposal.predicted == ENV.step(START, proposal.action).state


def test_an_answer_without_a_new_state_is_read_by_the_rules_stated_in_the_prompt() -> None:
    proposal = WORLD.parse_proposal(START, "Action: unstack the blue block from the orange block")

    assert proposal.predicted == ENV.step(START, proposal.action).state


def test_an_impossible_action_without_a_new_state_is_malformed() -> None:
    with pytest.raises(MalformedResponse, match="not possible here"):
        WORLD.parse_proposal(START, "Action: pick up the orange block")


def test_a_predicted_state_is_the_models_claim_even_when_wrong() -> None:
    text = "Action: pick up the red block\nNew state: the hand is holding the red block"

    proposal = WORLD.parse_proposal(START, text)

    assert proposal.predicted.facts == {("holding", "red")}
    assert proposal.predicted.actions == ("(pick-up red)",)


def test_the_sim_predicts_a_next_state_alone() -> None:
    action = "unstack the blue block from on top of the orange block"

    answer = ask(ORACLE, WORLD.predict_request(START, action, (), 0))

    assert WORLD.parse_prediction(START, action, answer) == ENV.step(START, action).state


def test_values_rank_states_by_the_actions_still_needed() -> None:
    def value(state: object) -> float:
        return WORLD.parse_value(ask(ORACLE, WORLD.evaluate_request(state, (), 0)))  # type: ignore[arg-type]

    state, values = START, [value(START)]
    for action in TASK.gold:
        state = ENV.step(state, action.pddl).state
        values.append(value(state))

    assert values == sorted(values) and values[-1] == 1.0 and values[0] == pytest.approx(1 / 5)


@pytest.mark.parametrize("text", ["Value: 1.5", "Value: -0.2", "no idea"])
def test_a_value_outside_0_1_or_missing_is_malformed(text: str) -> None:
    with pytest.raises(MalformedResponse):
        WORLD.parse_value(text)


@pytest.mark.parametrize("task", task_set("step_6")[:10], ids=lambda t: str(t.number))
def test_a_perfect_sims_whole_plan_is_optimal(task: object) -> None:
    env = BlocksWorldEnv(task)  # type: ignore[arg-type]
    start = env.reset()

    plan = WORLD.parse_solution(ask(ORACLE, WORLD.solve_request(start, (), 0)))
    outcome = env.step(start, plan)

    assert outcome.done and len(plan.splitlines()) == distance(env.rules, start.facts, start.goal)


def _believes_it_possible(memory: tuple[str, ...]) -> int:
    """How many of 150 proposals pick up the buried orange block, with a sim
    that wrongly believes every action possible and proposes at random."""
    noise = NoiseModel.perfect(proposal_quality=0.0, wrong_belief_rate=1.0, preference_sharpness=0)
    picked = 0
    for sample in range(150):
        answer = ask(ORACLE, WORLD.propose_request(START, memory, sample), noise)
        picked += WORLD.parse_proposal(START, answer).action == "pick up the orange block"
    return picked


def test_an_action_memory_says_was_refused_for_a_reason_that_still_holds_is_not_proposed() -> None:
    refusal = ENV.step(START, "pick up the orange block").feedback

    assert _believes_it_possible(()) > 0
    assert _believes_it_possible((refusal,)) == 0


def test_a_reflection_names_the_refused_action_and_its_reason_only_if_the_feedback_does() -> None:
    attempt = "pick up the orange block"
    refusal = ENV.step(START, attempt).feedback

    named = WORLD.parse_reflection(ask(ORACLE, WORLD.reflect_request(START, attempt, refusal, 0)))
    vague = WORLD.parse_reflection(ask(ORACLE, WORLD.reflect_request(START, attempt, "no.", 0)))

    assert "pick up the orange block: refused; the orange block is not clear" in named
    assert "refused" not in vague


def test_a_state_the_sim_cannot_read_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="cannot read the state"):
        ORACLE.respond(context("propose", "blocksworld", "four blocks"))


def test_the_world_model_stops_at_the_goal_and_at_the_horizon() -> None:
    state = START
    for action in TASK.gold:
        assert not WORLD.is_terminal(state)
        state = ENV.step(state, action.pddl).state
    wander = START
    for _ in range(TASK.max_steps):
        answer = f"Action: {render_action(TASK.gold[0])}\nNew state: the hand is empty"
        wander = WORLD.parse_proposal(wander, answer).predicted

    assert WORLD.is_terminal(state) and WORLD.is_terminal(wander)
