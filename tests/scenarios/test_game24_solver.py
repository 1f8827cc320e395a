"""The exact solver (the sim's oracle), expressions, and the shipped puzzles."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from rafa_async import ConfigError
from rafa_async.scenarios.game24 import (
    TEST_RANKS,
    all_puzzles,
    evaluate_expression,
    legal_steps,
    parse_ranks,
    puzzles,
    solvable,
    solve,
)
from rafa_async.scenarios.game24._arith import ExpressionError


def fractions(*numbers: int) -> list[Fraction]:
    return [Fraction(n) for n in numbers]


def assert_solution(expression: str | None, numbers: tuple[int, ...]) -> None:
    assert expression is not None
    value, used = evaluate_expression(expression)
    assert value == 24, expression
    assert sorted(used) == sorted(fractions(*numbers)), expression


# -- solvable / solve ------------------------------------------------------------


@pytest.mark.parametrize(
    "numbers", [(4, 9, 10, 13), (1, 1, 4, 6), (3, 3, 8, 8), (1, 5, 5, 5), (4, 4, 10, 10)]
)
def test_known_solvable_puzzles_are_solvable(numbers: tuple[int, ...]) -> None:
    assert solvable(fractions(*numbers))


@pytest.mark.parametrize("numbers", [(1, 1, 1, 1), (1, 1, 1, 2), (13, 13, 13, 13)])
def test_known_unsolvable_puzzles_are_not(numbers: tuple[int, ...]) -> None:
    assert not solvable(fractions(*numbers))
    assert solve(fractions(*numbers)) is None


@pytest.mark.parametrize("numbers", [(4, 9, 10, 13), (3, 3, 8, 8), (1, 5, 5, 5), (1, 3, 4, 6)])
def test_solve_gives_an_expression_over_exactly_the_numbers(numbers: tuple[int, ...]) -> None:
    assert_solution(solve(fractions(*numbers)), numbers)


def test_solving_needs_exact_fractions_not_floats() -> None:
    # 8 / (3 - 8/3) = 24 only in exact arithmetic; ints must not turn into floats.
    assert solvable((3, 3, 8, 8))
    assert_solution(solve((3, 3, 8, 8)), (3, 3, 8, 8))


def test_solvable_for_fewer_numbers() -> None:
    assert solvable(fractions(24))
    assert not solvable(fractions(23))
    assert solvable(fractions(4, 6))
    assert solvable([Fraction(1, 3), Fraction(8)])
    assert not solvable(fractions(10, 13, 13))


def test_every_shipped_puzzle_is_solvable() -> None:
    unsolvable = [p for p in all_puzzles() if not solvable(p.numbers)]

    assert unsolvable == []


def test_every_test_puzzle_has_a_solution_over_its_numbers() -> None:
    wrong = []
    for puzzle in puzzles(f"{TEST_RANKS.start}-{TEST_RANKS.stop - 1}"):
        expression = solve(puzzle.numbers)
        value, used = evaluate_expression(expression or "0")
        if value != 24 or sorted(used) != sorted(fractions(*puzzle.numbers)):
            wrong.append((puzzle.rank, expression))

    assert wrong == []


# -- legal_steps -----------------------------------------------------------------


@pytest.mark.parametrize(
    "numbers", [(4, 9, 10, 13), (1, 1, 4, 6), (4, 4, 4, 4), (6, 4, 1, 4), (13, 1, 13, 1)]
)
def test_legal_steps_has_no_duplicates(numbers: tuple[int, ...]) -> None:
    steps = legal_steps(fractions(*numbers))

    texts = [s.text for s in steps]
    assert len(texts) == len(set(texts))
    commutative = [(min(s.a, s.b), s.op, max(s.a, s.b)) for s in steps if s.op in "+*"]
    assert len(commutative) == len(set(commutative))


def test_legal_steps_are_correct_and_leave_one_number_fewer() -> None:
    values = fractions(4, 9, 10, 13)

    for step in legal_steps(values):
        left = sorted(values)
        left.remove(step.a)
        left.remove(step.b)
        assert sorted([*left, step.result]) == list(step.left)
        assert evaluate_expression(f"{step.a} {step.op} {step.b}")[0] == step.result


def test_legal_steps_subtract_the_smaller_and_never_divide_by_zero() -> None:
    steps = legal_steps(fractions(0, 4, 6, 8))

    assert all(s.result >= 0 for s in steps if s.op == "-")
    assert all(s.b != 0 for s in steps if s.op == "/")
    assert any(s.text == "0 / 4 = 0" for s in steps)


def test_legal_steps_cover_every_pair_and_operation() -> None:
    # 6 pairs x (a+b, a*b, larger-smaller, a/b, b/a) for distinct non-zero numbers.
    assert len(legal_steps(fractions(4, 9, 10, 13))) == 30


# -- evaluate_expression -----------------------------------------------------------


def test_expression_value_and_numbers_are_exact() -> None:
    value, used = evaluate_expression("8 / (3 - 8 / 3)")

    assert value == 24
    assert used == fractions(8, 3, 8, 3)


def test_expression_accepts_unicode_operators() -> None:
    assert evaluate_expression("4 × (9 + 10 − 13) ÷ 1")[0] == 24


def test_expression_with_decimal_is_exact() -> None:
    assert evaluate_expression("6.5 * 2")[0] == 13


@pytest.mark.parametrize(
    "expression",
    [
        "x + 1",
        "__import__('os')",
        "abs(-24)",
        "2 ** 4 + 8",
        "49 // 2",
        "50 % 26",
        "True + 23",
        "[24][0]",
        "'24'",
        "4 * (6",
        "",
    ],
)
def test_expression_rejects_anything_but_arithmetic(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate_expression(expression)


def test_expression_rejects_division_by_zero() -> None:
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate_expression("24 / (4 - 4)")


# -- the puzzles -------------------------------------------------------------------


def test_shipped_data_has_1362_puzzles_ranked_in_order() -> None:
    ranks = [p.rank for p in all_puzzles()]

    assert ranks == list(range(1, 1363))


def test_test_split_is_100_puzzles_ranked_901_to_1000() -> None:
    selected = puzzles("901-1000")

    assert len(selected) == 100
    assert [p.rank for p in selected] == list(range(901, 1001))
    assert selected[0].text == "4 5 6 10"


def test_default_puzzles_are_the_test_split() -> None:
    assert puzzles() == puzzles("901-1000")


@pytest.mark.parametrize(
    ("spec", "ranks"),
    [
        ("5", [5]),
        ("1-3", [1, 2, 3]),
        ("1-3,10", [1, 2, 3, 10]),
        ("10, 1-3", [1, 2, 3, 10]),
        ("1-3,2-4", [1, 2, 3, 4]),
        ("1362", [1362]),
    ],
)
def test_parse_ranks_reads_ranges_and_lists(spec: str, ranks: list[int]) -> None:
    assert parse_ranks(spec) == ranks


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("0-5", "must satisfy 1 <= N <= M <= 1362"),
        ("5-2", "must satisfy 1 <= N <= M <= 1362"),
        ("1-99999", "must satisfy 1 <= N <= M <= 1362"),
        ("abc", "is not N or N-M"),
        ("1-x", "is not N or N-M"),
        ("", "empty part"),
        ("1,,3", "empty part"),
    ],
)
def test_parse_ranks_rejects_bad_specs_naming_them(spec: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"bad puzzle range {spec!r}")) as info:
        parse_ranks(spec)
    assert reason in str(info.value)
