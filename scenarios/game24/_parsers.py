"""Parsers for what an LLM writes in the Game of 24 (real or simulated).

They are deliberately forgiving about decoration (bullets, "Step 1:", bold,
unicode operators, trailing prose) and strict about content: anything they
cannot read raises :class:`~rafa_async.MalformedResponse` naming what was
expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rafa_async import MalformedResponse

from ._arith import NUMBER, key_of, parse_number, parse_numbers

_OPS = {"+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "x": "*", "×": "*", "/": "/", "÷": "/"}
_STEP_RE = re.compile(
    rf"(?P<a>{NUMBER})\s*(?P<op>[-+*/x×÷−–])\s*(?P<b>{NUMBER})\s*=\s*(?P<r>{NUMBER})"
    rf"(?:\s*\(\s*left\s*:\s*(?P<left>[^)]*)\))?",
    re.IGNORECASE,
)
# "I'm not sure ..." is hedging, not a judgement.
_VALUE_RE = re.compile(r"(?<!not )\b(sure|likely|impossible)\b", re.IGNORECASE)
_ANSWER_RE = re.compile(r"answer\s*[:：]\s*(?P<expr>.+)", re.IGNORECASE)
_ANSWER_LINE_RE = re.compile(r"[\W_]*answer\s*[*_]*\s*[:：]", re.IGNORECASE)
_DEAD_RE = re.compile(rf"(?P<nums>{NUMBER}(?:\s+{NUMBER})*)\s+cannot reach 24", re.IGNORECASE)
_LIVE_RE = re.compile(
    rf"24 can still be reached from\s+(?P<nums>{NUMBER}(?:\s+{NUMBER})*)", re.IGNORECASE
)

VALUES = {"sure": 20.0, "likely": 1.0, "impossible": 0.001}
"""Tree of Thoughts' value map for the three judgements."""


@dataclass(frozen=True, slots=True)
class ParsedStep:
    a: str
    op: str
    b: str
    result: str
    left: tuple[str, ...] | None

    @property
    def text(self) -> str:
        return f"{self.a} {self.op} {self.b} = {self.result}"


def parse_step(text: str) -> ParsedStep:
    """The first ``a op b = c [(left: ...)]`` in ``text``."""
    for line in text.splitlines():
        match = _STEP_RE.search(line.replace("**", ""))
        if match is None:
            continue
        left = match.group("left")
        left_numbers: tuple[str, ...] | None = None
        if left is not None:
            try:
                left_numbers = tuple(str(parse_number(t)) for t in left.replace(",", " ").split())
            except ValueError:
                left_numbers = None
        return ParsedStep(
            a=match.group("a"),
            op=_OPS[match.group("op").lower()],
            b=match.group("b"),
            result=match.group("r"),
            left=left_numbers,
        )
    raise MalformedResponse("expected a step like '4 + 9 = 13 (left: 10 13 13)'", text=text)


def attempt_lines(text: str) -> tuple[str, ...]:
    """The lines of a written attempt the environment checks, in order: every
    line holding a step ``a op b = c`` or an ``Answer:``, stripped.  Prose
    between them (``Steps:``, comments) is not part of the attempt."""
    return tuple(
        line.strip()
        for line in text.splitlines()
        if _STEP_RE.search(line.replace("**", "")) or _ANSWER_RE.search(line)
    )


def is_answer_line(line: str) -> bool:
    """Whether ``line`` gives the final answer (``Answer: ...``, decoration allowed)."""
    return _ANSWER_LINE_RE.match(line) is not None


def parse_value(text: str) -> float:
    """The last sure/likely/impossible judgement in ``text``, as ToT's value."""
    found = _VALUE_RE.findall(text)
    if not found:
        raise MalformedResponse("expected a judgement: sure, likely or impossible", text=text)
    return VALUES[found[-1].lower()]


def parse_answer(text: str) -> str:
    """The expression after the last ``Answer:``, without a trailing ``= 24``."""
    found = _ANSWER_RE.findall(text)
    if not found:
        raise MalformedResponse("expected a line 'Answer: <expression> = 24'", text=text)
    expr = str(found[-1]).strip().strip("*").strip()
    expr = expr.split("=")[0].strip().rstrip(".")
    if not expr:
        raise MalformedResponse("the Answer line has no expression", text=text)
    return expr


def parse_reflection(text: str) -> str:
    """The reflection text (after ``Reflection:`` if present), one paragraph."""
    marker = text.lower().rfind("reflection:")
    body = text[marker + len("reflection:") :] if marker >= 0 else text
    body = " ".join(body.split())
    if not body:
        raise MalformedResponse("expected a reflection", text=text)
    return body


def memory_facts(lines: Iterable[str]) -> dict[str, bool]:
    """What memory lines state about states: ``{numbers key: reaches 24?}``.

    The environment's feedback (and accurate reflections) use two phrasings:
    ``"<numbers> cannot reach 24"`` and ``"24 can still be reached from <numbers>"``.
    """
    facts: dict[str, bool] = {}
    for line in lines:
        for match in _DEAD_RE.finditer(line):
            facts[_key(match.group("nums"))] = False
        for match in _LIVE_RE.finditer(line):
            facts[_key(match.group("nums"))] = True
    return facts


def _key(numbers: str) -> str:
    return key_of(parse_numbers(numbers))
