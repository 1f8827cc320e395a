"""The Game of 24 environment (the paper's protocol): every step checked and explained."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from rafa_async import MalformedResponse, Outcome

from .._attempts import check_lines
from ._arith import (
    TARGET,
    ExpressionError,
    apply_op,
    evaluate_expression,
    fmt,
    key_of,
    parse_number,
    solvable,
    strip_outer_parens,
)
from ._parsers import attempt_lines, is_answer_line, parse_answer, parse_step
from ._state import DECIMAL_TOLERANCE, Game24State, StepError, locate

DEFAULT_MAX_STEPS = 20
"""The paper's cap on environment interactions per puzzle."""


class Game24Env:
    """One puzzle.  Checks every submitted step and explains its verdict.

    An action is a step ``a op b = c`` (the ``(left: ...)`` part is the
    agent's prediction and is ignored), ``Answer: <expression>`` using all
    four numbers, or a whole attempt: several such lines.  A step is
    *rejected* (state unchanged) when it is unreadable, uses a number that
    is not there, miscalculates, or leaves numbers that cannot reach 24;
    otherwise it is accepted, and reaching 24 solves the puzzle (reward 1).

    An attempt is checked line by line, as the paper's environment does: each
    line gets the verdict it would get alone (one feedback line each), the
    check stops at the first rejected line (or once solved), and the state
    keeps the accepted steps before it.  It is one interaction, however many
    lines it has.
    """

    name = "game24"

    def __init__(self, numbers: Sequence[int | Fraction]) -> None:
        if len(numbers) != 4:
            raise ValueError(f"a Game of 24 puzzle has 4 numbers, got {len(numbers)}")
        self.numbers = tuple(Fraction(n) for n in numbers)

    def reset(self) -> Game24State:
        return Game24State.start(self.numbers)

    def render(self, state: Game24State) -> str:
        return state.key

    def answer(self, state: Game24State) -> str | None:
        return strip_outer_parens(state.exprs[0]) if state.solved else None

    def step(self, state: Game24State, action: str) -> Outcome[Game24State]:
        lines = attempt_lines(action)
        if len(lines) <= 1:
            return self._line(state, lines[0] if lines else action)
        return check_lines(state, lines, self._line)

    def _line(self, state: Game24State, action: str) -> Outcome[Game24State]:
        """The verdict on one step or answer."""
        if is_answer_line(action) or action.lower().lstrip().startswith("answer"):
            return self._answer(state, action)
        try:
            step = parse_step(action)
        except MalformedResponse:
            return self._reject(
                state, f"'{action.strip()[:80]}': rejected; not a step of the form 'a op b = c'."
            )
        text = step.text
        try:
            i, j = locate(state, step)
        except StepError as error:
            return self._reject(state, f"{text}: rejected; {error}.")
        a, b = state.values[i], state.values[j]
        true_result = apply_op(a, step.op, b)
        if true_result is None:
            return self._reject(state, f"{text}: rejected; division by zero.")
        claimed = parse_number(step.result)
        close = "." in step.result and abs(claimed - true_result) <= DECIMAL_TOLERANCE
        if claimed != true_result and not close:
            return self._reject(
                state,
                f"{text}: rejected; miscalculation, {fmt(a)} {step.op} {fmt(b)} = "
                f"{fmt(true_result)}.",
            )
        nxt = state.combine(i, step.op, j, true_result)
        label = f"{text} (left: {nxt.key})"
        if nxt.solved:
            return Outcome(
                nxt,
                True,
                f"{label}: accepted; solved, {self.answer(nxt)} = 24.",
                reward=1.0,
                done=True,
            )
        if not solvable(nxt.values):
            return self._reject(state, f"{label}: rejected; {nxt.key} cannot reach 24.")
        return Outcome(nxt, True, f"{label}: accepted; 24 can still be reached from {nxt.key}.")

    def _answer(self, state: Game24State, action: str) -> Outcome[Game24State]:
        try:
            expr = parse_answer(action)
            value, used = evaluate_expression(expr)
        except (MalformedResponse, ExpressionError) as error:
            return self._reject(state, f"answer rejected; {error}.")
        if sorted(used) != sorted(self.numbers):
            return self._reject(
                state,
                f"answer {expr} rejected; it must use each of {key_of(self.numbers)} exactly "
                f"once, but uses {key_of(used)}.",
            )
        if value != TARGET:
            return self._reject(state, f"answer {expr} rejected; it equals {fmt(value)}, not 24.")
        solved = Game24State.of([(TARGET, f"({expr})")])
        return Outcome(solved, True, f"answer {expr} accepted; solved.", reward=1.0, done=True)

    @staticmethod
    def _reject(state: Game24State, feedback: str) -> Outcome[Game24State]:
        return Outcome(state, False, feedback)
