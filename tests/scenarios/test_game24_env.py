"""Game24Env's verdicts and feedback, and the EpisodeDriver that runs it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rafa_async import EpisodeDriver, EpisodeOver, EventRecorder, ListSink, Transition
from rafa_async.scenarios.game24 import Game24Env, Game24State, evaluate_expression

PUZZLE = (4, 9, 10, 13)
SOLUTION = ("9 + 10 = 19", "19 - 13 = 6", "4 * 6 = 24")


@pytest.fixture
def env() -> Game24Env:
    return Game24Env(PUZZLE)


def play(env: Game24Env, *actions: str) -> Game24State:
    state = env.reset()
    for action in actions:
        outcome = env.step(state, action)
        assert outcome.accepted, outcome.feedback
        state = outcome.state
    return state


def test_reset_gives_the_four_numbers_sorted(env: Game24Env) -> None:
    state = env.reset()

    assert state.values == tuple(Fraction(n) for n in PUZZLE)
    assert env.render(state) == "4 9 10 13"


def test_puzzle_must_have_four_numbers() -> None:
    with pytest.raises(ValueError, match="4 numbers"):
        Game24Env((1, 2, 3))


def test_step_with_number_not_available_is_rejected(env: Game24Env) -> None:
    start = env.reset()

    outcome = env.step(start, "4 + 5 = 9")

    assert not outcome.accepted
    assert outcome.state == start
    assert outcome.feedback == (
        "4 + 5 = 9: rejected; 5 is not among the remaining numbers 4 9 10 13."
    )


def test_step_using_a_single_number_twice_is_rejected(env: Game24Env) -> None:
    outcome = env.step(env.reset(), "4 + 4 = 8")

    assert not outcome.accepted
    assert "4 is not among the remaining numbers" in outcome.feedback


def test_miscalculated_step_is_rejected_with_the_true_result(env: Game24Env) -> None:
    start = env.reset()

    outcome = env.step(start, "4 + 9 = 12")

    assert not outcome.accepted
    assert outcome.state == start
    assert outcome.feedback == "4 + 9 = 12: rejected; miscalculation, 4 + 9 = 13."


def test_stale_step_rejected_when_numbers_cannot_reach_24(env: Game24Env) -> None:
    start = env.reset()

    outcome = env.step(start, "4 + 9 = 13 (left: 10 13 13)")

    assert not outcome.accepted
    assert outcome.state == start
    assert outcome.reward == 0.0
    assert not outcome.done
    assert outcome.feedback == "4 + 9 = 13 (left: 10 13 13): rejected; 10 13 13 cannot reach 24."


def test_accepted_step_advances_state_and_says_24_can_still_be_reached(env: Game24Env) -> None:
    outcome = env.step(env.reset(), "9 + 10 = 19")

    assert outcome.accepted
    assert not outcome.done
    assert outcome.reward == 0.0
    assert env.render(outcome.state) == "4 13 19"
    assert outcome.feedback == (
        "9 + 10 = 19 (left: 4 13 19): accepted; 24 can still be reached from 4 13 19."
    )


def test_predicted_left_part_is_ignored(env: Game24Env) -> None:
    outcome = env.step(env.reset(), "9 + 10 = 19 (left: 1 2 3)")

    assert outcome.accepted
    assert env.render(outcome.state) == "4 13 19"


def test_operands_may_be_written_in_either_order(env: Game24Env) -> None:
    outcome = env.step(env.reset(), "10 + 9 = 19")

    assert outcome.accepted
    assert env.render(outcome.state) == "4 13 19"


def test_final_step_reaching_24_solves(env: Game24Env) -> None:
    state = play(env, *SOLUTION[:2])

    outcome = env.step(state, SOLUTION[2])

    assert outcome.accepted
    assert outcome.done
    assert outcome.reward == 1.0
    assert "solved" in outcome.feedback
    assert env.render(outcome.state) == "24"


def test_answer_of_solved_state_is_an_expression_over_the_four_numbers(env: Game24Env) -> None:
    state = play(env, *SOLUTION)

    answer = env.answer(state)

    assert answer is not None
    value, used = evaluate_expression(answer)
    assert value == 24
    assert sorted(used) == sorted(Fraction(n) for n in PUZZLE)


def test_unsolved_state_has_no_answer(env: Game24Env) -> None:
    assert env.answer(env.reset()) is None
    assert env.answer(play(env, SOLUTION[0])) is None


def test_decimal_approximations_of_fractions_are_accepted_and_kept_exact() -> None:
    env = Game24Env((3, 3, 8, 8))

    state = play(env, "8 / 3 = 2.67", "3 - 2.67 = 0.33")

    assert env.render(state) == "1/3 8"
    outcome = env.step(state, "8 / 0.33 = 24")
    assert outcome.done
    assert outcome.reward == 1.0


def test_decimal_far_from_the_true_result_is_a_miscalculation() -> None:
    env = Game24Env((3, 3, 8, 8))

    outcome = env.step(env.reset(), "8 / 3 = 2.7")

    assert not outcome.accepted
    assert "miscalculation, 8 / 3 = 8/3" in outcome.feedback


def test_fraction_written_exactly_is_accepted() -> None:
    env = Game24Env((3, 3, 8, 8))

    outcome = env.step(env.reset(), "8 / 3 = 8/3")

    assert outcome.accepted
    assert env.render(outcome.state) == "8/3 3 8"


@pytest.mark.parametrize("action", ["let me think", "", "4 + 9", "Next: add the small ones"])
def test_unparseable_action_is_rejected_with_the_expected_form(env: Game24Env, action: str) -> None:
    start = env.reset()

    outcome = env.step(start, action)

    assert not outcome.accepted
    assert outcome.state == start
    assert "not a step of the form 'a op b = c'" in outcome.feedback


@pytest.mark.parametrize(
    "action",
    [
        "Answer: 4 * (9 + 10 - 13) = 24",
        "answer: (10 - 4) * (13 - 9)",
        "Answer: 4 × (9 + 10 − 13)",
    ],
)
def test_correct_answer_solves(env: Game24Env, action: str) -> None:
    outcome = env.step(env.reset(), action)

    assert outcome.accepted
    assert outcome.done
    assert outcome.reward == 1.0
    answer = env.answer(outcome.state)
    assert answer is not None
    assert evaluate_expression(answer)[0] == 24


def test_answer_with_wrong_value_is_rejected_with_its_value(env: Game24Env) -> None:
    outcome = env.step(env.reset(), "Answer: 4 + 9 + 10 + 13 = 24")

    assert not outcome.accepted
    assert not outcome.done
    assert outcome.feedback == "answer 4 + 9 + 10 + 13 rejected; it equals 36, not 24."


def test_answer_with_wrong_numbers_is_rejected_naming_them(env: Game24Env) -> None:
    outcome = env.step(env.reset(), "Answer: 4 * 6 = 24")

    assert not outcome.accepted
    assert outcome.feedback == (
        "answer 4 * 6 rejected; it must use each of 4 9 10 13 exactly once, but uses 4 6."
    )


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("Answer: import os", "not an arithmetic expression"),
        ("Answer: (4 + 9", "not an arithmetic expression"),
        ("Answer: 4 ** 9 + 10 - 13", "only + - * / are allowed"),
        ("Answer: len(4, 9, 10, 13)", "only numbers"),
        ("Answer: = 24", "no expression"),
        ("Answer:", "expected a line 'Answer: "),
    ],
)
def test_garbage_answer_is_rejected_saying_why(env: Game24Env, action: str, reason: str) -> None:
    start = env.reset()

    outcome = env.step(start, action)

    assert not outcome.accepted
    assert outcome.state == start
    assert outcome.feedback.startswith("answer rejected; ")
    assert reason in outcome.feedback


def test_step_is_pure(env: Game24Env) -> None:
    start = env.reset()

    first = env.step(start, "9 + 10 = 19")
    second = env.step(start, "9 + 10 = 19")

    assert first == second
    assert start == env.reset()


# -- EpisodeDriver ---------------------------------------------------------------


def make_driver(env: Game24Env, max_steps: int = 20) -> tuple[EpisodeDriver[Game24State], ListSink]:
    sink = ListSink()
    driver = EpisodeDriver(
        env, episode="game24-test", max_steps=max_steps, recorder=EventRecorder(sink)
    )
    return driver, sink


def test_driver_counts_every_interaction_accepted_or_not(env: Game24Env) -> None:
    driver, _ = make_driver(env)

    driver.act("4 + 9 = 12")
    driver.act(SOLUTION[0])

    assert driver.steps == 2
    assert driver.env.render(driver.state) == "4 13 19"
    assert [o.accepted for _, o in driver.history] == [False, True]


def test_driver_is_over_after_max_steps(env: Game24Env) -> None:
    driver, _ = make_driver(env, max_steps=3)

    for _ in range(3):
        assert not driver.over
        driver.act("4 + 9 = 12")

    assert driver.over
    assert not driver.solved


@pytest.mark.parametrize(("cap", "steps"), [(1, "1 step$"), (2, "2 steps$")])
def test_acting_after_the_cap_raises_episode_over(env: Game24Env, cap: int, steps: str) -> None:
    driver, sink = make_driver(env, max_steps=cap)
    for _ in range(cap):
        driver.act("4 + 9 = 12")

    with pytest.raises(EpisodeOver, match=f"game24-test is over after {steps}"):
        driver.act(SOLUTION[0])
    assert driver.steps == cap
    assert len(sink.of_type(Transition)) == cap


def test_acting_after_solving_raises_episode_over(env: Game24Env) -> None:
    driver, _ = make_driver(env)
    for action in SOLUTION:
        driver.act(action)

    assert driver.solved
    assert driver.over
    assert driver.reward == 1.0
    with pytest.raises(EpisodeOver):
        driver.act("Answer: 4 * (9 + 10 - 13)")


def test_driver_emits_one_transition_per_step(env: Game24Env) -> None:
    driver, sink = make_driver(env)

    driver.act("4 + 9 = 13")
    for action in SOLUTION:
        driver.act(action)

    transitions = sink.of_type(Transition)
    assert [t.step for t in transitions] == [1, 2, 3, 4]
    assert [t.action for t in transitions] == ["4 + 9 = 13", *SOLUTION]
    assert [t.accepted for t in transitions] == [False, True, True, True]
    assert [t.state for t in transitions] == ["4 9 10 13", "4 13 19", "4 6", "24"]
    assert [t.done for t in transitions] == [False, False, False, True]
    assert [t.reward for t in transitions] == [0.0, 0.0, 0.0, 1.0]
    assert transitions[0].feedback == driver.history[0][1].feedback
    assert {t.episode for t in transitions} == {"game24-test"}
    assert [t.seq for t in transitions] == sorted(t.seq for t in transitions)


def test_restart_returns_to_the_start_but_keeps_the_step_budget(env: Game24Env) -> None:
    driver, _ = make_driver(env, max_steps=3)
    driver.act(SOLUTION[0])

    state = driver.restart()

    assert state == env.reset()
    assert driver.state == state
    assert driver.steps == 1


def test_driver_needs_at_least_one_step(env: Game24Env) -> None:
    with pytest.raises(ValueError, match="max_steps must be >= 1"):
        EpisodeDriver(env, episode="e", max_steps=0)


# -- attempts of several lines (the paper's protocol) ------------------------------

ATTEMPT = (
    "9 + 10 = 19 (left: 4 13 19)\n19 - 13 = 6 (left: 4 6)\n4 * 6 = 24 (left: 24)\n"
    "Answer: 4 * (9 + 10 - 13) = 24"
)


def alone(env: Game24Env, *lines: str) -> list[str]:
    """The verdict each line gets when submitted alone, one after another."""
    state, verdicts = env.reset(), []
    for line in lines:
        outcome = env.step(state, line)
        verdicts.append(outcome.feedback)
        state = outcome.state
    return verdicts


def test_an_attempt_gets_each_steps_own_verdict_line_by_line(env: Game24Env) -> None:
    outcome = env.step(env.reset(), ATTEMPT)

    assert outcome.accepted
    assert outcome.done
    assert outcome.reward == 1.0
    steps = ATTEMPT.splitlines()[:3]
    assert outcome.feedback.splitlines() == alone(env, *steps)
    assert outcome.feedback.splitlines()[0] == (
        "9 + 10 = 19 (left: 4 13 19): accepted; 24 can still be reached from 4 13 19."
    )


def test_an_attempt_stops_at_its_first_dead_step_keeping_the_steps_before(
    env: Game24Env,
) -> None:
    attempt = "9 + 10 = 19 (left: 4 13 19)\n4 + 13 = 17 (left: 17 19)\nAnswer: 17 + 19 = 24"

    outcome = env.step(env.reset(), attempt)

    assert not outcome.accepted
    assert not outcome.done
    assert outcome.feedback.splitlines() == [
        "9 + 10 = 19 (left: 4 13 19): accepted; 24 can still be reached from 4 13 19.",
        "4 + 13 = 17 (left: 17 19): rejected; 17 19 cannot reach 24.",
    ]
    assert env.render(outcome.state) == "4 13 19"


def test_an_attempts_wrong_answer_after_good_steps_gets_the_answers_verdict(
    env: Game24Env,
) -> None:
    outcome = env.step(env.reset(), "9 + 10 = 19 (left: 4 13 19)\nAnswer: 4 + 9 + 10 + 13")

    assert not outcome.accepted
    assert outcome.feedback.splitlines()[-1] == (
        "answer 4 + 9 + 10 + 13 rejected; it equals 36, not 24."
    )


def test_prose_between_an_attempts_lines_is_not_checked(env: Game24Env) -> None:
    written = "Let me try.\nSteps:\n" + ATTEMPT.replace("\n", "\nThen:\n", 1)

    outcome = env.step(env.reset(), written)

    assert outcome == env.step(env.reset(), ATTEMPT)
    assert outcome.done
    assert len(outcome.feedback.splitlines()) == 3


def test_an_attempt_is_one_interaction(env: Game24Env) -> None:
    driver, sink = make_driver(env)

    driver.act(ATTEMPT)

    assert driver.steps == 1
    assert driver.solved
    assert len(sink.of_type(Transition)) == 1
