"""The Game of 24 state: the numbers left and how each was made; reading a step against it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ._arith import TARGET, fmt, key_of, parse_number
from ._parsers import ParsedStep

DECIMAL_TOLERANCE = Fraction(1, 100)
"""How far a decimal may be from the exact number it stands for (``6.67`` for 20/3)."""


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
                if abs(self.values[i] - wanted) <= DECIMAL_TOLERANCE:
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
