"""The Game of 24 state and environment (the paper's protocol)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from rafa_async import MalformedResponse, Outcome

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
from ._parsers import ParsedStep, parse_answer, parse_step

DEFAULT_MAX_STEPS = 20
"""The paper's cap on environment interactions per puzzle."""

_DECIMAL_TOLERANCE = Fraction(1, 100)


@dataclass(frozen=True, slots=True)
class Game24State:
    """Remaining numbers (sorted) and the expression that produced each."""

    values: tuple[Fraction, ...]
    exprs: tuple[str, ...]

    @classmethod
    def start(cls, numbers: Sequence[Fraction]) -> Game24State:
        return cls.of([(Fraction(n), fmt(Fraction(n))) for n in numbers])

    @classmethod
    def of(cls, items: Sequence[tuple[Fraction, str]]) -> Game24State:
        ordered = sorted(items)
        return cls(tuple(v for v, _ in ordered), tuple(e for _, e in ordered))

    @property
    def key(self) -> str:
        return key_of(self.values)

    @property
    def solved(self) -> bool:
        return len(self.values) == 1 and self.values[0] == TARGET

    def find(self, text: str, *, skip: int | None = None) -> int | None:
        """Index of the remaining number written ``text`` (decimals approximately)."""
        try:
            wanted = parse_number(text)
        except ValueError:
            return None
        candidates = [i for i in range(len(self.values)) if i != skip]
        for i in candidates:
            if self.values[i] == wanted:
                return i
        if "." in text:
            for i in candidates:
                if abs(self.values[i] - wanted) <= _DECIMAL_TOLERANCE:
                    return i
        return None

    def combine(self, i: int, op: str, j: int, result: Fraction) -> Game24State:
        items = [
            (v, e)
            for k, (v, e) in enumerate(zip(self.values, self.exprs, strict=True))
            if k not in (i, j)
        ]
        items.append((result, f"({self.exprs[i]} {op} {self.exprs[j]})"))
        return Game24State.of(items)


class StepError(ValueError):
    """A step that cannot be applied; the message is the environment's feedback."""


def locate(state: Game24State, step: ParsedStep) -> tuple[int, int]:
    """Indices of the step's two operands among the remaining numbers."""
    i = state.find(step.a)
    j = None if i is None else state.find(step.b, skip=i)
    if i is None or j is None:
        missing = step.a if i is None else step.b
        raise StepError(f"{missing} is not among the remaining numbers {state.key}")
    return i, j


def apply_claimed(state: Game24State, step: ParsedStep) -> Game24State:
    """The next state *as the step's writer claims it* (their result, right or wrong)."""
    i, j = locate(state, step)
    return state.combine(i, step.op, j, parse_number(step.result))


class Game24Env:
    """One puzzle.  Checks every submitted step and explains its verdict.

    Actions are either a step ``a op b = c`` (the ``(left: ...)`` part is the
    agent's prediction and is ignored) or ``Answer: <expression>`` using all
    four numbers.  A step is *rejected* (state unchanged) when it is
    unreadable, uses a number that is not there, miscalculates, or leaves
    numbers that cannot reach 24; otherwise it is accepted, and reaching 24
    solves the puzzle (reward 1).
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
        if action.lower().lstrip().startswith("answer"):
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
        close = "." in step.result and abs(claimed - true_result) <= _DECIMAL_TOLERANCE
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
