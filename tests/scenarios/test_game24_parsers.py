"""What the Game of 24 parsers read from clean and real-LLM-style text.

What they refuse is in ``test_scenario_parsers.py``, with every scenario's refusals.
"""

from __future__ import annotations

import pytest

from rafa_async.scenarios.game24 import (
    VALUES,
    Game24Env,
    memory_facts,
    parse_answer,
    parse_reflection,
    parse_step,
    parse_value,
)

# -- parse_step ----------------------------------------------------------------


def test_step_with_left_part_is_read_in_full() -> None:
    step = parse_step("4 + 9 = 13 (left: 10 13 13)")

    assert (step.a, step.op, step.b, step.result) == ("4", "+", "9", "13")
    assert step.left == ("10", "13", "13")
    assert step.text == "4 + 9 = 13"


def test_step_without_left_part_has_no_left() -> None:
    step = parse_step("4 + 9 = 13")

    assert step.text == "4 + 9 = 13"
    assert step.left is None


@pytest.mark.parametrize(
    "text",
    [
        "- 4 + 9 = 13 (left: 10 13 13)",
        "* 4 + 9 = 13 (left: 10 13 13)",
        "1. 4 + 9 = 13 (left: 10 13 13)",
        "Step 1: 4 + 9 = 13 (left: 10 13 13)",
        "**Step 1:** 4 + 9 = 13 (left: 10 13 13)",
        "**4 + 9 = 13** (left: 10 13 13)",
        "4+9=13 (left: 10 13 13)",
        "4 + 9 = 13 (Left: 10, 13, 13)",
    ],
)
def test_step_decoration_is_ignored(text: str) -> None:
    step = parse_step(text)

    assert step.text == "4 + 9 = 13"
    assert step.left == ("10", "13", "13")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 × 6 = 24", "4 * 6 = 24"),
        ("4 x 6 = 24", "4 * 6 = 24"),
        ("24 ÷ 4 = 6", "24 / 4 = 6"),
        ("13 − 9 = 4", "13 - 9 = 4"),
        ("13 – 9 = 4", "13 - 9 = 4"),
    ],
)
def test_unicode_and_letter_operators_become_ascii(text: str, expected: str) -> None:
    assert parse_step(text).text == expected


def test_decimal_result_is_kept_as_written_and_left_is_exact() -> None:
    step = parse_step("13 / 2 = 6.5 (left: 4 6.5 10)")

    assert step.result == "6.5"
    assert step.left == ("4", "13/2", "10")


def test_fraction_operands_and_results_are_read() -> None:
    step = parse_step("13/2 * 4 = 26 (left: 26 10)")

    assert (step.a, step.op, step.b, step.result) == ("13/2", "*", "4", "26")


def test_fraction_result_is_read() -> None:
    assert parse_step("13 / 2 = 13/2 (left: 4 10 13/2)").result == "13/2"


def test_trailing_prose_is_ignored() -> None:
    text = "10 - 4 = 6 (left: 6 9 13). This keeps the numbers small, which helps."

    step = parse_step(text)

    assert step.text == "10 - 4 = 6"
    assert step.left == ("6", "9", "13")


def test_prose_lines_before_the_step_are_skipped() -> None:
    text = (
        "Input: 4 9 10 13\n"
        "We have numbers 1-2 that look small, so let me think.\n"
        "Possible next step: 13 - 9 = 4 (left: 4 4 10)\n"
        "Another idea: 4 + 9 = 13"
    )

    assert parse_step(text).text == "13 - 9 = 4"


def test_unreadable_left_part_is_dropped_not_guessed() -> None:
    step = parse_step("4 + 9 = 13 (left: ten thirteen)")

    assert step.text == "4 + 9 = 13"
    assert step.left is None


# -- parse_value ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sure", VALUES["sure"]), ("likely", VALUES["likely"]), ("impossible", VALUES["impossible"])],
)
def test_each_judgement_maps_to_its_value(text: str, expected: float) -> None:
    assert parse_value(text) == expected


def test_values_rank_sure_above_likely_above_impossible() -> None:
    assert VALUES["sure"] > VALUES["likely"] > VALUES["impossible"] > 0


def test_last_judgement_wins() -> None:
    text = "10 + 14 = 24 looks sure at first\nbut 10 14 1 is more than two numbers\nimpossible"

    assert parse_value(text) == VALUES["impossible"]


@pytest.mark.parametrize("text", ["SURE", "Likely.", "**Impossible**"])
def test_judgement_is_case_insensitive(text: str) -> None:
    assert parse_value(text) == VALUES[text.strip("*.").lower()]


def test_judgement_words_inside_other_words_do_not_count() -> None:
    assert parse_value("I am unsure, surely it is\nlikely") == VALUES["likely"]


# -- parse_answer --------------------------------------------------------------


def test_answer_drops_the_trailing_equals_24() -> None:
    assert parse_answer("Answer: (6 - 4) * (4 + 8) = 24") == "(6 - 4) * (4 + 8)"


def test_answer_without_equals_is_kept_whole() -> None:
    assert parse_answer("answer: 4 * (9 + 10 - 13)") == "4 * (9 + 10 - 13)"


def test_last_answer_line_wins() -> None:
    text = "4 + 8 = 12 (left: 4 6 12)\nAnswer: 4 + 6 + 12\nNo, wrong!\nAnswer: (6 - 4) * 12 = 24"

    assert parse_answer(text) == "(6 - 4) * 12"


def test_answer_decoration_is_ignored() -> None:
    assert parse_answer("**Answer:** (6 - 4) * (4 + 8) = 24.") == "(6 - 4) * (4 + 8)"
    assert parse_answer("Answer：4 * 6.") == "4 * 6"


# -- parse_reflection ----------------------------------------------------------


def test_reflection_is_the_text_after_the_marker_in_one_paragraph() -> None:
    text = "Thinking...\nReflection: my step 4 + 9 = 13\nwas a dead end.\n\n  Try 10 - 4 first."

    assert parse_reflection(text) == "my step 4 + 9 = 13 was a dead end. Try 10 - 4 first."


def test_reflection_marker_is_case_insensitive_and_the_last_one_counts() -> None:
    text = "Reflection: draft\nREFLECTION: final lesson"

    assert parse_reflection(text) == "final lesson"


def test_reflection_without_marker_is_the_whole_text() -> None:
    assert parse_reflection("  I should\ncheck my arithmetic. ") == "I should check my arithmetic."


# -- memory_facts --------------------------------------------------------------


def test_dead_end_feedback_is_a_false_fact() -> None:
    line = "4 + 9 = 13 (left: 10 13 13): rejected; 10 13 13 cannot reach 24."

    assert memory_facts([line]) == {"10 13 13": False}


def test_live_feedback_is_a_true_fact() -> None:
    line = "9 + 10 = 19 (left: 4 13 19): accepted; 24 can still be reached from 4 13 19."

    assert memory_facts([line]) == {"4 13 19": True}


def test_facts_are_keyed_by_sorted_exact_numbers() -> None:
    facts = memory_facts(["13/2 13 4 cannot reach 24", "24 can still be reached from 8 3 8/3"])

    assert facts == {"4 13/2 13": False, "8/3 3 8": True}


def test_reflection_naming_a_dead_end_is_a_fact() -> None:
    line = "my step 4 + 9 = 13 left 10 13 13, and 10 13 13 cannot reach 24, so that was a dead end."

    assert memory_facts([line]) == {"10 13 13": False}


def test_lines_without_facts_give_none() -> None:
    lines = ["4 + 9 = 12: rejected; miscalculation, 4 + 9 = 13.", "answer 4 * 6 rejected"]

    assert memory_facts(lines) == {}


def test_later_line_overrides_earlier_fact() -> None:
    lines = ["10 13 13 cannot reach 24", "24 can still be reached from 10 13 13"]

    assert memory_facts(lines) == {"10 13 13": True}


def test_environment_feedback_is_readable_as_facts() -> None:
    env = Game24Env((4, 9, 10, 13))
    start = env.reset()

    dead = env.step(start, "4 + 9 = 13").feedback
    live = env.step(start, "9 + 10 = 19").feedback

    assert memory_facts([dead, live]) == {"10 13 13": False, "4 13 19": True}
