"""Exact arithmetic for the Game of 24: numbers, the solver (the oracle), expressions."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

TARGET = Fraction(24)
NUMBER = r"-?\d+(?:\.\d+)?(?:/\d+)?"
_NUMBER_RE = re.compile(rf"^{NUMBER}$")


def fmt(value: Fraction) -> str:
    """``13`` for integers, ``13/2`` otherwise (exact, and what the prompts use)."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def parse_number(text: str) -> Fraction:
    """``13``, ``6.5`` or ``13/2`` as an exact fraction; ``ValueError`` otherwise."""
    text = text.strip()
    if not _NUMBER_RE.match(text):
        raise ValueError(f"not a number: {text!r}")
    return Fraction(text)


def parse_numbers(text: str) -> tuple[Fraction, ...]:
    return tuple(parse_number(t) for t in text.split())


def key_of(values: Sequence[Fraction]) -> str:
    """Canonical text of a multiset of numbers: sorted, space separated."""
    return " ".join(fmt(v) for v in sorted(values))


def apply_op(a: Fraction, op: str, b: Fraction) -> Fraction | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b != 0 else None
    raise ValueError(f"unknown operator {op!r}")


def _combinations(a: Fraction, b: Fraction) -> Iterator[Fraction]:
    yield a + b
    yield a * b
    yield a - b
    yield b - a
    if b != 0:
        yield a / b
    if a != 0:
        yield b / a


@lru_cache(maxsize=1 << 17)
def _solvable(values: tuple[Fraction, ...]) -> bool:
    if len(values) == 1:
        return values[0] == TARGET
    n = len(values)
    for i in range(n):
        for j in range(i + 1, n):
            rest = values[:i] + values[i + 1 : j] + values[j + 1 :]
            for r in _combinations(values[i], values[j]):
                if _solvable(tuple(sorted((*rest, r)))):
                    return True
    return False


def solvable(values: Sequence[Fraction | int]) -> bool:
    """Whether ``values`` can reach exactly 24 with + - * / (each used once)."""
    # Fractions, never ints: int / int is a float, and the cache would share the
    # float result with the equal (same-hash) Fraction key.
    return _solvable(tuple(sorted(Fraction(v) for v in values)))


def solve(values: Sequence[Fraction | int]) -> str | None:
    """One expression over ``values`` equal to 24, or None.  Exact (rationals)."""
    found = _solve([(Fraction(v), fmt(Fraction(v))) for v in values])
    return None if found is None else strip_outer_parens(found)


def strip_outer_parens(expr: str) -> str:
    """``(a + b)`` -> ``a + b`` when the outer pair encloses the whole expression."""
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, ch in enumerate(expr):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(expr) - 1:
                return expr
        expr = expr[1:-1]
    return expr


def _solve(items: list[tuple[Fraction, str]]) -> str | None:
    if len(items) == 1:
        return items[0][1] if items[0][0] == TARGET else None
    if not solvable([v for v, _ in items]):
        return None
    n = len(items)
    for i in range(n):
        for j in range(i + 1, n):
            (a, ea), (b, eb) = items[i], items[j]
            rest = items[:i] + items[i + 1 : j] + items[j + 1 :]
            for op, x, ex, y, ey in (
                ("+", a, ea, b, eb),
                ("*", a, ea, b, eb),
                ("-", a, ea, b, eb),
                ("-", b, eb, a, ea),
                ("/", a, ea, b, eb),
                ("/", b, eb, a, ea),
            ):
                r = apply_op(x, op, y)
                if r is None:
                    continue
                found = _solve([*rest, (r, f"({ex} {op} {ey})")])
                if found is not None:
                    return found
    return None


@dataclass(frozen=True, slots=True)
class StepOption:
    """One legal step from a state: ``a op b = result``."""

    a: Fraction
    op: str
    b: Fraction
    result: Fraction
    left: tuple[Fraction, ...]

    @property
    def text(self) -> str:
        return f"{fmt(self.a)} {self.op} {fmt(self.b)} = {fmt(self.result)}"

    @property
    def left_key(self) -> str:
        return key_of(self.left)


def legal_steps(values: Sequence[Fraction | int]) -> list[StepOption]:
    """The distinct steps a sensible player considers: subtraction larger minus
    smaller, division in either order (non-zero divisor), no duplicates."""
    # Sorted, so ``a + b`` and ``a * b`` are only ever written smaller first.
    ordered = sorted(Fraction(v) for v in values)
    seen: set[tuple[Fraction, str, Fraction]] = set()
    steps: list[StepOption] = []
    n = len(ordered)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            a, b = ordered[i], ordered[j]
            rest = tuple(ordered[k] for k in range(n) if k not in (i, j))
            for op in "+-*/":
                if op in "+*" and i > j:
                    continue
                if op == "-" and a < b:
                    continue
                if op == "/" and b == 0:
                    continue
                if (a, op, b) in seen:
                    continue
                seen.add((a, op, b))
                r = apply_op(a, op, b)
                assert r is not None
                steps.append(StepOption(a, op, b, r, tuple(sorted((*rest, r)))))
    return steps


class ExpressionError(ValueError):
    """An answer expression is not plain arithmetic over numbers."""


def evaluate_expression(expr: str) -> tuple[Fraction, list[Fraction]]:
    """Value of an arithmetic expression and the numbers it uses, exactly.

    Only numbers, ``+ - * /`` and parentheses are allowed (``×``/``÷`` too).
    """
    cleaned = expr.replace("×", "*").replace("÷", "/").replace("−", "-")
    try:
        tree = ast.parse(cleaned.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not an arithmetic expression: {expr!r}") from error
    used: list[Fraction] = []
    value = _eval(tree.body, used, expr)
    return value, used


def _eval(node: ast.expr, used: list[Fraction], expr: str) -> Fraction:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        if isinstance(node.value, bool):
            raise ExpressionError(f"not an arithmetic expression: {expr!r}")
        number = Fraction(str(node.value))
        used.append(number)
        return number
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
        op = ops.get(type(node.op))
        if op is None:
            raise ExpressionError(f"only + - * / are allowed: {expr!r}")
        left = _eval(node.left, used, expr)
        right = _eval(node.right, used, expr)
        result = apply_op(left, op, right)
        if result is None:
            raise ExpressionError(f"division by zero in {expr!r}")
        return result
    raise ExpressionError(f"only numbers, + - * / and parentheses are allowed: {expr!r}")
